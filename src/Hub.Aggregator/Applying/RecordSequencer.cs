using System.Threading.Channels;
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
/// message only after its effects are durable; when the batch fails, every message in it fails, to the endpoint's
/// retry and then its error queue. Messages still waiting when the Hub stops fail the same way (not acknowledged,
/// delivered again later). The loop starts with the first message and ends when the process disposes of it.
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

    public RecordSequencer(RecordApplier applier, TimeProvider time, IOptions<AggregatorOptions> options, ILogger<RecordSequencer> log)
    {
        _applier = applier;
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
                try
                {
                    await _applier.ApplyAsync(batch.Select(e => e.Item).ToList(), ct);
                    foreach (var e in batch) e.Done.TrySetResult();
                }
                catch (Exception ex)
                {
                    LogBatchFailed(batch.Count, RecordApplier.Describe(ex));
                    foreach (var e in batch) e.Done.TrySetException(ex);
                }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} records failed: {Error}; each of its messages goes back to the endpoint's retry")]
    private partial void LogBatchFailed(int count, string error);
}
