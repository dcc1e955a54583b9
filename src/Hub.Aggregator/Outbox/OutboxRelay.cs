using System.Globalization;
using System.Text.Json;
using Hub.Aggregator.Applying;
using Hub.Contracts;
using Hub.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hub.Aggregator.Outbox;

/// <summary>
/// Publishes the events the aggregator committed to the outbox — those about one subject in commit order — then marks
/// them published. At least once: a crash between publish and mark sends an event again; subscribers drop repeats by
/// <c>EventId</c>.
/// </summary>
public sealed partial class OutboxRelay(
    IndexDatabase db, IEventPublisher publisher, OutboxSignal signal, IOptions<AggregatorOptions> options, AggregatorMetrics metrics, ILogger<OutboxRelay> log) : BackgroundService
{
    private static readonly Dictionary<string, Type> Outbound = new[]
    {
        typeof(SubjectListed), typeof(SubjectDelisted), typeof(RecordRejected),
    }.ToDictionary(t => t.Name);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await PublishPendingAsync(options.Value.OutboxBatchSize, stoppingToken);
                failures = 0;
                if (published == 0) await signal.WaitAsync(options.Value.OutboxPollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures, 7))));
                LogFailed(ex, failures, delay.TotalMilliseconds);
                try { await Task.Delay(delay, stoppingToken); } catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>
    /// Publishes up to <paramref name="max"/> pending events; returns how many. Events with the same ordering key
    /// (one subject, one rejected record) go out one after the other in outbox order; different keys go out at once,
    /// up to <see cref="AggregatorOptions.OutboxPublishConcurrency"/> — one publish at a time paid a broker round trip
    /// per event (docs/BENCHMARKS.md). A key whose publish fails stops there, so nothing about a subject overtakes
    /// an event that is still pending.
    /// </summary>
    public async Task<int> PublishPendingAsync(int max, CancellationToken ct)
    {
        var pending = await db.PendingOutboxAsync(max, ct);
        if (pending.Count == 0) return 0;
        var lanes = pending.GroupBy(r => r.OrderingKey ?? "#" + r.Id.ToString(CultureInfo.InvariantCulture)).ToList();
        var done = new List<long>(pending.Count);
        Exception? firstFailure = null;
        var failedLanes = 0;
        try
        {
            await Parallel.ForEachAsync(lanes, new ParallelOptions { MaxDegreeOfParallelism = options.Value.OutboxPublishConcurrency, CancellationToken = ct },
                async (lane, token) =>
                {
                    foreach (var row in lane)
                    {
                        if (!Outbound.TryGetValue(row.MessageType, out var type))
                        {
                            LogUnknownType(row.Id, row.MessageType);
                            return; // left pending, visible to operators: a newer build knows the type
                        }
                        try
                        {
                            var message = JsonSerializer.Deserialize(row.Payload, type, Incoming.Json)!;
                            await publisher.PublishAsync(message, type, token);
                        }
                        catch (Exception ex) when (!token.IsCancellationRequested)
                        {
                            // this subject's later events wait behind it; other subjects go on
                            Interlocked.Increment(ref failedLanes);
                            Interlocked.CompareExchange(ref firstFailure, ex, null);
                            return;
                        }
                        lock (done) done.Add(row.Id);
                    }
                });
        }
        finally
        {
            await db.MarkPublishedAsync(done, CancellationToken.None);
            metrics.Relayed(done.Count);
        }
        if (firstFailure is not null)
            throw new InvalidOperationException(
                $"{failedLanes} outbound event(s) could not be published and stay pending with the events after them about the same subject; {done.Count} published", firstFailure);
        return done.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay failed ({Failures} in a row); retrying in {DelayMs} ms")]
    private partial void LogFailed(Exception ex, int failures, double delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox entry {OutboxId} has unknown message type {MessageType}; left pending")]
    private partial void LogUnknownType(long outboxId, string messageType);
}
