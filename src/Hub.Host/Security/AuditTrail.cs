using System.Threading.Channels;
using Hub.Domain.Identifiers;
using Hub.Storage;
using Hub.Storage.Audit;

namespace Hub.Host.Security;

/// <summary>Where the HTTP doors put their audit entries: <see cref="AuditTrail"/> in a process with the index database,
/// <see cref="BusAuditTrail"/> (to the aggregator, over the bus) in one without.</summary>
public interface IAuditTrail
{
    /// <summary>Records the entry and returns when it is durable; throws <see cref="AuditUnavailableException"/> when it
    /// could not be — the caller then refuses what the entry would record.</summary>
    Task WriteAsync(AuditEntry entry, CancellationToken ct);

    /// <summary>Records the entry soon, without waiting; retried until written.</summary>
    void Enqueue(AuditEntry entry);
}

/// <summary>
/// Appends the HTTP doors' audit entries to the chain with group commits: whatever arrived while the previous append
/// ran goes in the next one transaction. <see cref="WriteAsync"/> returns once the entry is durable — a disclosure is
/// answered only after it is on record, and not at all when it cannot be recorded. <see cref="Enqueue"/> is for entries
/// nobody waits for (refusals, accepted submissions): they are retried until written. (The aggregator writes its own
/// entries in the transaction of the batch they describe.)
/// </summary>
public sealed partial class AuditTrail(IndexDatabase db, ILogger<AuditTrail> log) : BackgroundService, IAuditTrail
{
    private const int MaxPerAppend = 1_000;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    private sealed record Pending(AuditEntry Entry, TaskCompletionSource? Done);

    /// <summary>Appends the entry and returns when it is committed; throws when it could not be.</summary>
    public Task WriteAsync(AuditEntry entry, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(Safe(entry), done)))
            throw new InvalidOperationException("the audit log is closed: the Hub is stopping");
        return done.Task.WaitAsync(ct);
    }

    /// <summary>Appends the entry soon, without waiting.</summary>
    public void Enqueue(AuditEntry entry)
    {
        if (!_queue.Writer.TryWrite(new Pending(Safe(entry), null))) LogLostAtStop(entry.Action, entry.Principal);
    }

    /// <summary>A detail never carries a whole ID number, whoever wrote it.</summary>
    private static AuditEntry Safe(AuditEntry e) => e.Detail is null ? e : e with { Detail = ResidentIdNumber.MaskAllIn(e.Detail) };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = new List<Pending>();
        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (retry.Count == 0 && !await _queue.Reader.WaitToReadAsync(stoppingToken)) break;
                failures = await AppendAvailableAsync(retry, failures, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // stopping: whatever is still queued gets one more try
        _queue.Writer.TryComplete();
        await AppendAvailableAsync(retry, 0, CancellationToken.None);
        foreach (var p in retry) LogLostAtStop(p.Entry.Action, p.Entry.Principal);
    }

    private async Task<int> AppendAvailableAsync(List<Pending> retry, int failures, CancellationToken ct)
    {
        var batch = new List<Pending>(retry);
        retry.Clear();
        while (batch.Count < MaxPerAppend && _queue.Reader.TryRead(out var p)) batch.Add(p);
        if (batch.Count == 0) return failures;
        try
        {
            await db.AppendAuditAsync(batch.Select(p => p.Entry).ToList(), CancellationToken.None);
            foreach (var p in batch) p.Done?.TrySetResult();
            return 0;
        }
        catch (Exception ex)
        {
            failures++;
            LogAppendFailed(ex, batch.Count, failures);
            // a waiter is answered now (its caller refuses the disclosure); what nobody waits for is tried again
            foreach (var p in batch)
                if (p.Done is null) retry.Add(p);
                else p.Done.TrySetException(new AuditUnavailableException(ex));
            if (ct.CanBeCanceled) await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * (1 << Math.Min(failures, 6)), 5_000)), ct);
            return failures;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Appending {Count} audit entries failed (attempt {Attempt}); entries nobody waits for are tried again")]
    private partial void LogAppendFailed(Exception ex, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit entry {Action} by {Principal} could not be written before the Hub stopped")]
    private partial void LogLostAtStop(string action, string principal);
}

/// <summary>The audit log could not record a disclosure, so the disclosure is not made.</summary>
public sealed class AuditUnavailableException(Exception inner) : Exception("the audit log cannot be written: " + inner.Message, inner);
