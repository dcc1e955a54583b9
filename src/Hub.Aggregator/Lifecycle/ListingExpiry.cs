using System.Text.Json;
using Hub.Aggregator.Applying;
using Hub.Aggregator.Outbox;
using Hub.Contracts;
using Hub.Domain.Lifecycle;
using Hub.Storage;
using Hub.Storage.Audit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hub.Aggregator.Lifecycle;

/// <summary>This process among the Hub's processes: the holder it names itself when it takes a lease.</summary>
public sealed record HubInstance(string Id)
{
    /// <summary>Host, process id and a random part: a restarted process is a new holder, and so is a second one on the host.</summary>
    public static HubInstance ForThisProcess() => new($"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}");
}

/// <summary>What one expiry sweep did: whether this process held the lease (else another swept, and this did nothing),
/// and how many listings it ended, imputed ones included.</summary>
public sealed record ExpirySweep(bool HeldLease, int Expired);

/// <summary>
/// Ends the listings whose term ran out and nobody ended: status <c>expired</c>, reason <c>expired</c>, ended on the
/// first day no longer listed (the day after <c>valid_until</c>, in China Standard Time, see <see cref="ListingClock"/>),
/// with their imputed listings, each with its own <see cref="SubjectDelisted"/> in the outbox and its own audit entry,
/// in the transaction that ends it. A listing until performed (no <c>valid_until</c>) never expires.
/// </summary>
/// <remarks>
/// Once, across restarts and processes: a lease (<see cref="LeaseName"/>) lets one process sweep at a time, and should
/// two ever overlap (a lease that lapsed mid-sweep) the rows themselves decide — each transaction locks the listings
/// it ends (PostgreSQL passes over those another holds), ends only those still active, and writes events only for the
/// listings it ended. Run by <see cref="ExpirySweeper"/>; tests call <see cref="SweepAsync"/> on a fake clock.
/// </remarks>
public sealed partial class ListingExpiry(
    IndexDatabase db, TimeProvider time, OutboxSignal outboxSignal, IRecordAuditSink auditSink, HubInstance instance,
    ILogger<ListingExpiry> log, IOptions<AggregatorOptions>? options = null)
{
    public const string LeaseName = "listing-expiry";

    /// <summary>The reason an expired listing carries, in the index and in <see cref="SubjectDelisted.Reason"/>.</summary>
    public const string Reason = "expired";

    private AggregatorOptions Options => options?.Value ?? new AggregatorOptions();

    /// <summary>
    /// Ends every listing whose term ended before today in China Standard Time, a batch per transaction, renewing the
    /// lease before each; does nothing while another process holds the lease.
    /// </summary>
    public async Task<ExpirySweep> SweepAsync(CancellationToken ct)
    {
        var limit = Math.Max(1, Options.ExpiryBatchSize);
        var expired = 0;
        while (true)
        {
            if (!await db.TakeLeaseAsync(LeaseName, instance.Id, Options.ExpiryLease, ct))
            {
                if (expired == 0) return new ExpirySweep(false, 0);
                LogLeaseLost(expired);          // this process paused longer than the lease: the new holder goes on
                return new ExpirySweep(true, expired);
            }
            var (ended, due) = await ExpireBatchAsync(limit, ct);
            expired += ended;
            if (due < limit) return new ExpirySweep(true, expired);
        }
    }

    /// <summary>Gives the lease up (at shutdown), so that another process takes over without waiting for it to lapse.</summary>
    public Task ReleaseAsync(CancellationToken ct) => db.ReleaseLeaseAsync(LeaseName, instance.Id, ct);

    /// <summary>One transaction: the listings it ended, and how many were due (a full batch: more may be).</summary>
    private async Task<(int Ended, int Due)> ExpireBatchAsync(int limit, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var today = ListingClock.DayAt(now);
        await using var session = await db.BeginAsync(ct);
        var due = await session.ExpiringListingsAsync(today, limit, ct);
        if (due.Count == 0) return (0, 0);

        // imputed listings share their parent's term and end with it, in this transaction, even those the batch's
        // limit left out; one another transaction holds is left to it, or to the next sweep
        var ids = due.Select(l => l.Id).ToHashSet();
        var children = await session.ActiveChildrenAsync(due.Where(l => l.ParentListingId is null).Select(l => l.Id).ToList(), ct);
        var parents = due.ToDictionary(l => l.Id);
        var ending = due.Concat(children.Where(c => ids.Add(c.Id))).ToList();

        var w = new IndexWrite(now);
        var ends = new List<ListingEnd>(ending.Count);
        foreach (var listing in ending)
        {
            var until = (listing.ParentListingId is { } p && parents.TryGetValue(p, out var parent) ? parent.ValidUntil : listing.ValidUntil)
                        ?? throw new InvalidOperationException($"listing {listing.Id} has no term to expire");
            var endedOn = until.AddDays(1);
            ends.Add(new ListingEnd(listing.Id, ListingStatus.Expired, Reason, endedOn, now));
            w.Outbox.Add(new OutboxRow
            {
                MessageType = nameof(SubjectDelisted), CreatedAt = now, OrderingKey = listing.SubjectId,
                Payload = JsonSerializer.Serialize(new SubjectDelisted
                {
                    EventId = RecordApplier.NewId(now), HubSubjectId = listing.SubjectId, ListingId = listing.Id, ListType = listing.ListType,
                    OriginAgency = listing.OriginAgency, Status = ListingStatus.Expired, Reason = Reason, EffectiveDate = endedOn, RecordedAt = now,
                }, Incoming.Json),
            });
            auditSink.Add(w, new AuditEntry(now, "hub", null, "listing.expire", null, listing.SubjectId, ListingStatus.Expired,
                $"listing {listing.Id} ({listing.OriginAgency}/{listing.SourceRecordId}) ended with its term on {until:yyyy-MM-dd}", "host"));
        }

        // the rows are locked (or, on SQLite, this is the only writer): every one is still active. Should one not be,
        // another transaction ended it and told subscribers; this one must not tell them again
        var ended = await session.EndListingsAsync(ends, ct);
        if (ended != ends.Count)
            throw new ConcurrentChangeException($"{ends.Count - ended} of {ends.Count} expiring listings were ended by another transaction");
        await session.WriteAsync(w, ct);
        await session.CommitAsync(ct);
        outboxSignal.Notify();
        LogExpired(ended, today);
        return (ended, due.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} listings whose term ended before {Today:yyyy-MM-dd} (China Standard Time)")]
    private partial void LogExpired(int count, DateOnly today);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The expiry lease went to another process after {Count} listings expired here; it goes on with the rest")]
    private partial void LogLeaseLost(int count);
}
