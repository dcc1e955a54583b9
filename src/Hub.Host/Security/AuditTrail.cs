using System.Threading.Channels;
using Hub.Aggregator.Consumers;
using Hub.Contracts;
using Hub.Domain.Identifiers;
using Hub.Storage;
using Hub.Storage.Audit;
using MassTransit;

namespace Hub.Host.Security;

/// <summary>Where the HTTP doors put their audit entries: <see cref="AuditTrail"/> in a process with the index database,
/// <see cref="BusAuditTrail"/> (to the aggregator, over the bus) in one without.</summary>
public interface IAuditTrail
{
    /// <summary>Records the entry and returns when it is durable; throws <see cref="AuditUnavailableException"/> when it
    /// could not be — the caller then refuses what the entry would record.</summary>
    Task WriteAsync(AuditEntry entry, CancellationToken ct);

    /// <summary>Records the entries together, in one append, and returns when they are durable; throws
    /// <see cref="AuditUnavailableException"/> when they could not be. For one answer that discloses several subjects:
    /// one waits for one append, not for one after another.</summary>
    Task WriteAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct);

    /// <summary>Records the entry soon, without waiting; retried until written.</summary>
    void Enqueue(AuditEntry entry);
}

/// <summary>
/// Group commits: whatever arrived while the previous append ran goes in the next one. A waiter (<see cref="WriteAsync"/>)
/// is answered when its append is durable, or with <see cref="AuditUnavailableException"/> when it failed — a disclosure
/// is then refused, not made unrecorded; entries nobody waits for are tried again, with back-off, until written.
/// </summary>
/// <remarks>Its own hosted service rather than a <see cref="BackgroundService"/>: that one may never run its loop when the host
/// stops right after starting (the loop's task is started with the stopping token), and then the queue would not be
/// flushed — the loop here always runs, and always ends with the flush.</remarks>
public abstract partial class QueuedAuditTrail(ILogger log) : IHostedService, IAuditTrail
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    /// <summary>The queue's loop: done once the Hub stopped and everything queued was written (or said lost).</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null) await _loop.WaitAsync(cancellationToken);
    }

    private const int MaxPerAppend = 500;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Entries that go in one append, all or none; <paramref name="Done"/> when someone waits for them.</summary>
    private sealed record Pending(IReadOnlyList<AuditEntry> Entries, TaskCompletionSource? Done);

    /// <summary>Makes the entries durable, in their order.</summary>
    protected abstract Task AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct);

    public Task WriteAsync(AuditEntry entry, CancellationToken ct) => WriteAsync([entry], ct);

    public Task WriteAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(entries.Select(Safe).ToList(), done)))
            throw new AuditUnavailableException(new InvalidOperationException("the Hub is stopping"));
        return done.Task.WaitAsync(ct);
    }

    public void Enqueue(AuditEntry entry)
    {
        if (!_queue.Writer.TryWrite(new Pending([Safe(entry)], null))) LogLost(log, entry.Action, entry.Principal);
    }

    /// <summary>A detail never carries a whole ID number, whoever wrote it.</summary>
    private static AuditEntry Safe(AuditEntry e) => e.Detail is null ? e : e with { Detail = ResidentIdNumber.MaskAllIn(e.Detail) };

    private async Task RunAsync(CancellationToken stoppingToken)
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
        // stopping: whatever is still queued gets one more try, all of it
        _queue.Writer.TryComplete();
        while (true)
        {
            var before = retry.Count;
            await AppendAvailableAsync(retry, 0, CancellationToken.None);
            if (retry.Count == 0 && _queue.Reader.Completion.IsCompleted) break; // all read, all written
            if (retry.Count > 0 && retry.Count >= before) break; // the store is gone: what is left is lost, and said so
        }
        foreach (var e in retry.Concat(ReadAll()).SelectMany(p => p.Entries)) LogLost(log, e.Action, e.Principal);
    }

    private IEnumerable<Pending> ReadAll()
    {
        while (_queue.Reader.TryRead(out var left)) yield return left;
    }

    private async Task<int> AppendAvailableAsync(List<Pending> retry, int failures, CancellationToken ct)
    {
        var batch = new List<Pending>(retry);
        retry.Clear();
        var entries = batch.Sum(p => p.Entries.Count);
        while (entries < MaxPerAppend && _queue.Reader.TryRead(out var p))
        {
            batch.Add(p);
            entries += p.Entries.Count;
        }
        if (batch.Count == 0) return failures;
        try
        {
            await AppendAsync(batch.SelectMany(p => p.Entries).ToList(), CancellationToken.None);
            foreach (var p in batch) p.Done?.TrySetResult();
            return 0;
        }
        catch (Exception ex)
        {
            failures++;
            LogAppendFailed(log, ex, batch.Count, failures);
            // one entry the store always refuses must not hold back every entry after it: each is tried alone, and
            // when others go through, the one that still fails is dropped (and logged); when none does, the store is
            // down and everything nobody waits for is kept for the next try
            var failedAlone = new List<(Pending Item, Exception Error)>();
            var anyWritten = false;
            if (batch.Count > 1)
                foreach (var p in batch)
                {
                    try
                    {
                        await AppendAsync(p.Entries, CancellationToken.None);
                        p.Done?.TrySetResult();
                        anyWritten = true;
                    }
                    catch (Exception alone)
                    {
                        failedAlone.Add((p, alone));
                    }
                }
            else failedAlone.Add((batch[0], ex));
            foreach (var (p, error) in failedAlone)
                if (p.Done is not null) p.Done.TrySetException(new AuditUnavailableException(error));
                else if (anyWritten)
                    foreach (var e in p.Entries) LogRefusedEntry(log, error, e.Action, e.Principal);
                else retry.Add(p);
            if (anyWritten) return 0;
            if (ct.CanBeCanceled) await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * (1 << Math.Min(failures, 6)), 5_000)), ct);
            return failures;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit entry {Action} by {Principal} is refused by the store while others are written; dropped")]
    private static partial void LogRefusedEntry(ILogger logger, Exception ex, string action, string principal);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording {Count} audit entries failed (attempt {Attempt}); entries nobody waits for are tried again")]
    private static partial void LogAppendFailed(ILogger logger, Exception ex, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit entry {Action} by {Principal} could not be recorded before the Hub stopped")]
    private static partial void LogLost(ILogger logger, string action, string principal);
}

/// <summary>Appends the HTTP doors' entries to the chain in the index database. (The aggregator writes its own entries
/// in the transaction of the batch they describe.)</summary>
public sealed class AuditTrail(IndexDatabase db, ILogger<AuditTrail> log) : QueuedAuditTrail(log)
{
    protected override Task AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct) => db.AppendAuditAsync(entries, ct);
}

/// <summary>
/// The audit trail of a Hub process without the index database (the court adapter alone): entries go to the aggregator
/// as <see cref="AuditRecorded"/> messages, which it appends to the one chain; durable once the broker confirms.
/// </summary>
public sealed class BusAuditTrail(IBus bus, AuditPublishers publishers, ILogger<BusAuditTrail> log) : QueuedAuditTrail(log)
{
    protected override Task AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct) =>
        bus.Publish(new AuditRecorded
        {
            Entries = entries.Select(e => new AuditRecordedEntry
            {
                At = e.At, Principal = e.Principal, AgencyCode = e.AgencyCode, Action = e.Action, Scope = e.Scope,
                SubjectId = e.SubjectId, Outcome = e.Outcome, Detail = e.Detail, Channel = e.Channel,
            }).ToList(),
        }, context =>
        {
            // as this process's own broker user, which the aggregator checks (the broker validates it)
            if (publishers.OwnUser is { } user && context.TryGetPayload<RabbitMqSendContext>(out var rabbit)) rabbit.BasicProperties.UserId = user;
        }, ct);
}

/// <summary>The audit log could not record a disclosure, so the disclosure is not made.</summary>
public sealed class AuditUnavailableException(Exception inner) : Exception("the audit log cannot be written: " + inner.Message, inner);
