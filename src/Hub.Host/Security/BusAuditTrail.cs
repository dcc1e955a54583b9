using System.Threading.Channels;
using Hub.Contracts;
using Hub.Domain.Identifiers;
using Hub.Storage.Audit;
using MassTransit;

namespace Hub.Host.Security;

/// <summary>
/// The audit trail of a Hub process without the index database (the court adapter alone): entries go to the aggregator
/// as <see cref="AuditRecorded"/> messages, which it appends to the one chain. Whatever arrived while the previous
/// publish ran goes in the next message; a publish the broker does not confirm is tried again.
/// </summary>
public sealed partial class BusAuditTrail(IBus bus, ILogger<BusAuditTrail> log) : BackgroundService, IAuditTrail
{
    private const int MaxPerMessage = 500;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    private sealed record Pending(AuditEntry Entry, TaskCompletionSource? Done);

    public Task WriteAsync(AuditEntry entry, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(Safe(entry), done))) throw new InvalidOperationException("the audit trail is closed: the Hub is stopping");
        return done.Task.WaitAsync(ct);
    }

    public void Enqueue(AuditEntry entry)
    {
        if (!_queue.Writer.TryWrite(new Pending(Safe(entry), null))) LogLost(entry.Action, entry.Principal);
    }

    private static AuditEntry Safe(AuditEntry e) => e.Detail is null ? e : e with { Detail = ResidentIdNumber.MaskAllIn(e.Detail) };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>();
        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (batch.Count == 0 && !await _queue.Reader.WaitToReadAsync(stoppingToken)) break;
                while (batch.Count < MaxPerMessage && _queue.Reader.TryRead(out var p)) batch.Add(p);
                try
                {
                    await PublishAsync(batch, stoppingToken);
                    batch.Clear();
                    failures = 0;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    failures++;
                    LogPublishFailed(ex, batch.Count, failures);
                    foreach (var p in batch.Where(p => p.Done is not null)) p.Done!.TrySetException(new AuditUnavailableException(ex));
                    batch.RemoveAll(p => p.Done is not null);
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * (1 << Math.Min(failures, 6)), 5_000)), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var p)) batch.Add(p);
        if (batch.Count == 0) return;
        try { await PublishAsync(batch, CancellationToken.None); }
        catch (Exception ex) { LogPublishFailed(ex, batch.Count, failures + 1); foreach (var p in batch) LogLost(p.Entry.Action, p.Entry.Principal); }
    }

    private async Task PublishAsync(List<Pending> batch, CancellationToken ct)
    {
        await bus.Publish(new AuditRecorded
        {
            Entries = batch.Select(p => new AuditRecordedEntry
            {
                At = p.Entry.At, Principal = p.Entry.Principal, AgencyCode = p.Entry.AgencyCode, Action = p.Entry.Action, Scope = p.Entry.Scope,
                SubjectId = p.Entry.SubjectId, Outcome = p.Entry.Outcome, Detail = p.Entry.Detail, Channel = p.Entry.Channel,
            }).ToList(),
        }, ct);
        foreach (var p in batch) p.Done?.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Publishing {Count} audit entries to the aggregator failed (attempt {Attempt}); tried again")]
    private partial void LogPublishFailed(Exception ex, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit entry {Action} by {Principal} could not be sent before the Hub stopped")]
    private partial void LogLost(string action, string principal);
}
