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
/// <c>EventId</c>. With <paramref name="receipts"/> (where subscriptions exist), the mark also records the removal
/// receipts the published ends of listings owe.
/// </summary>
public sealed partial class OutboxRelay(
    IndexDatabase db, IEventPublisher publisher, OutboxSignal signal, IOptions<AggregatorOptions> options, AggregatorMetrics metrics, ILogger<OutboxRelay> log,
    RemovalReceipts? receipts = null) : BackgroundService
{
    private static readonly Dictionary<string, Type> Outbound = new[]
    {
        typeof(SubjectListed), typeof(SubjectDelisted), typeof(SubjectDisputed), typeof(SubjectDisputeResolved), typeof(RecordRejected),
        typeof(SubjectsMerged), typeof(SubjectSplit), typeof(RelocationSuspected),
    }.ToDictionary(t => t.Name);

    // Events of a type this build does not know (written by a newer build before a roll-back) stay pending for a build
    // that knows them; so do the later events of their lane, to keep its order. Parked here, they are left out of the
    // next reads: without that, a head of the outbox full of them was read again and again and nothing behind it went out.
    private readonly HashSet<long> _parkedIds = [];
    private readonly HashSet<string> _parkedKeys = [];

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
        while (true)
        {
            var parked = _parkedIds.Count;
            var published = await PublishOnceAsync(max, ct);
            // a read that only parked events is read again at once: the events behind them wait for no poll
            if (published > 0 || _parkedIds.Count == parked) return published;
        }
    }

    private async Task<int> PublishOnceAsync(int max, CancellationToken ct)
    {
        var pending = await db.PendingOutboxAsync(max, ct, _parkedIds, _parkedKeys);
        if (pending.Count == 0) return 0;
        var lanes = pending.GroupBy(r => r.OrderingKey ?? "#" + r.Id.ToString(CultureInfo.InvariantCulture)).ToList();
        var done = new List<long>(pending.Count);
        var delisted = new List<string>();   // a removal's SubjectDelisted out: its removal_deadlines row is marked published
        var relayed = new List<string>();    // every event id out: the record that raised it first is stamped relayed
        // who owes a receipt for an end is read before publishing: a read that fails publishes nothing
        var ledger = receipts is null ? null : await receipts.BeginAsync(pending, ct);
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
                            lock (_parkedIds)
                            {
                                _parkedIds.Add(row.Id);
                                if (row.OrderingKey is not null) _parkedKeys.Add(row.OrderingKey);
                            }
                            LogUnknownType(row.Id, row.MessageType, row.OrderingKey);
                            return; // left pending with the rest of its lane, visible to operators: a newer build knows the type
                        }
                        object message;
                        try
                        {
                            message = JsonSerializer.Deserialize(row.Payload, type, Incoming.Json)!;
                            await publisher.PublishAsync(message, type, token);
                        }
                        catch (Exception ex) when (!token.IsCancellationRequested)
                        {
                            // this subject's later events wait behind it; other subjects go on
                            Interlocked.Increment(ref failedLanes);
                            Interlocked.CompareExchange(ref firstFailure, ex, null);
                            return;
                        }
                        lock (done)
                        {
                            done.Add(row.Id);
                            if (message is SubjectDelisted { Status: ListingStatus.Removed } d) delisted.Add(d.EventId);
                            if (RecordApplier.EventIdOf(message) is { } eventId) relayed.Add(eventId);
                            if (message is SubjectDelisted end) ledger?.Published(end);
                        }
                    }
                });
        }
        finally
        {
            await db.MarkPublishedAsync(done, CancellationToken.None, delisted, ledger?.Receipts(), relayed);
            metrics.Relayed(done.Count);
        }
        if (firstFailure is not null)
            throw new InvalidOperationException(
                $"{failedLanes} outbound event(s) could not be published and stay pending with the events after them about the same subject; {done.Count} published", firstFailure);
        return done.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay failed ({Failures} in a row); retrying in {DelayMs} ms")]
    private partial void LogFailed(Exception ex, int failures, double delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox entry {OutboxId} has unknown message type {MessageType}; it and the later events with ordering key {OrderingKey} stay pending for a build that knows the type")]
    private partial void LogUnknownType(long outboxId, string messageType, string? orderingKey);
}
