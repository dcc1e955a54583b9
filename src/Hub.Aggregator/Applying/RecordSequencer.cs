using System.Threading.Channels;
using Hub.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hub.Aggregator.Applying;

/// <summary>
/// One sequence for every inbound record kind: the consumers hand each message here, in the order the endpoint
/// delivers them, and one loop applies them in batches of up to <see cref="AggregatorOptions.BatchSize"/> (or what
/// arrived within <see cref="AggregatorOptions.BatchTimeLimit"/> of the first), one batch at a time, each record in
/// its place. A court's removal and the listing it ends, or two revisions of one record, go through one batch or
/// through consecutive ones in their order — never through two batches of two consumers running side by side.
/// </summary>
/// <remarks>
/// <see cref="SubmitAsync"/> completes when the batch holding the message has committed, so the broker acknowledges a
/// message only after its effects are durable; when the batch fails for a reason of its own, every message in it fails,
/// to the endpoint's retry and then its error queue. When it fails because the index database cannot be reached (a
/// transient failure: connection refused, timeout, the server shutting down), nothing fails: the batch is kept, its
/// messages stay unacknowledged and the rest wait in the queue (the endpoint's prefetch holds no more), the database is
/// probed with back-off, and the same batch is applied once it answers — a restart of minutes needs no operator
/// (<see cref="IndexAvailability"/> says so to the health check meanwhile). Messages still waiting when the Hub stops
/// fail (not acknowledged, delivered again later). The loop starts with the first message and ends when the process
/// disposes of it.
/// </remarks>
public sealed partial class RecordSequencer : IAsyncDisposable, IDisposable
{
    private readonly Channel<Entry> _channel = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly RecordApplier _applier;
    private readonly TimeProvider _time;
    private readonly AggregatorOptions _options;
    private readonly ILogger<RecordSequencer> _log;
    private readonly Lazy<Task> _loop;

    private readonly IndexAvailability _availability;

    public RecordSequencer(RecordApplier applier, IndexAvailability availability, TimeProvider time, IOptions<AggregatorOptions> options,
        ILogger<RecordSequencer> log)
    {
        _applier = applier;
        _availability = availability;
        _time = time;
        _options = options.Value;
        _log = log;
        _loop = new Lazy<Task>(() => Task.Run(() => LoopAsync(_stopping.Token)));
    }

    /// <summary>Queues one record behind those handed over before it; completes when its batch has committed, and
    /// fails as its batch fails.</summary>
    public Task SubmitAsync(Incoming item, CancellationToken ct)
    {
        _ = _loop.Value;
        var entry = new Entry(item, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_channel.Writer.TryWrite(entry)) throw new OperationCanceledException("the aggregator is stopping");
        return entry.Done.Task.WaitAsync(ct);
    }

    /// <summary>Queues the records of one batch message, in their order and behind those handed over before; completes
    /// when every one of them has been applied (their batches committed), and fails as soon as one's batch fails.</summary>
    public Task SubmitManyAsync(IReadOnlyList<Incoming> items, CancellationToken ct)
    {
        if (items.Count == 0) return Task.CompletedTask;
        _ = _loop.Value;
        var done = new Task[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var entry = new Entry(items[i], new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (!_channel.Writer.TryWrite(entry)) throw new OperationCanceledException("the aggregator is stopping");
            done[i] = entry.Done.Task;
        }
        return Task.WhenAll(done).WaitAsync(ct);
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        var reader = _channel.Reader;
        var batch = new List<Entry>(_options.BatchSize);
        try
        {
            while (await reader.WaitToReadAsync(ct))
            {
                batch.Clear();
                using (var window = new CancellationTokenSource(_options.BatchTimeLimit, _time))
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(window.Token, ct))
                {
                    while (batch.Count < _options.BatchSize)
                    {
                        if (reader.TryRead(out var next))
                        {
                            batch.Add(next);
                            continue;
                        }
                        try
                        {
                            if (!await reader.WaitToReadAsync(linked.Token)) break;
                        }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                        {
                            break;                                  // the window closed: apply what came
                        }
                    }
                }
                await ApplyRidingOutOutagesAsync(batch, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var e in batch) e.Done.TrySetCanceled(ct);
            while (reader.TryRead(out var left)) left.Done.TrySetCanceled(ct);
        }
    }

    private async Task ApplyRidingOutOutagesAsync(List<Entry> batch, CancellationToken ct)
    {
        var items = batch.Select(e => e.Item).ToList();
        while (true)
        {
            try
            {
                await _applier.ApplyAsync(items, ct);
                foreach (var e in batch) e.Done.TrySetResult();
                return;
            }
            catch (Exception ex) when (ex is ConcurrentChangeException && !ct.IsCancellationRequested)
            {
                // another transaction changed what the batch read (the expiry sweep ended a listing it ends): nothing is
                // down, the batch is applied again at once, from what is stored now
                LogConcurrentChange(batch.Count, ex.Message);
            }
            catch (Exception ex) when (RecordApplier.IsTransient(ex) && !ct.IsCancellationRequested)
            {
                _availability.Lost(RecordApplier.Describe(ex), batch.Count);
                LogPaused(batch.Count, RecordApplier.Describe(ex));
                await _availability.WaitUntilAnswersAsync(ct);
                LogResumed(batch.Count);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogBatchFailed(batch.Count, RecordApplier.Describe(ex));
                foreach (var e in batch) e.Done.TrySetException(ex);
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _stopping.CancelAsync();
        if (_loop.IsValueCreated) await _loop.Value;
        _stopping.Dispose();
    }

    /// <summary>For a container disposed synchronously: stops taking messages and cancels the loop without waiting;
    /// what it still held fails (not acknowledged, delivered again).</summary>
    public void Dispose()
    {
        _channel.Writer.TryComplete();
        _stopping.Cancel();
    }

    private sealed record Entry(Incoming Item, TaskCompletionSource Done);

    [LoggerMessage(Level = LogLevel.Error, Message = "The index database cannot be reached ({Error}): the aggregator pauses with a batch of {Count} records held, the rest waiting in the queue, and probes the database until it answers")]
    private partial void LogPaused(int count, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "A batch of {Count} records is applied again: {Reason}")]
    private partial void LogConcurrentChange(int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The index database answers again: applying the held batch of {Count} records and resuming")]
    private partial void LogResumed(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} records failed: {Error}; each of its messages goes back to the endpoint's retry")]
    private partial void LogBatchFailed(int count, string error);
}
