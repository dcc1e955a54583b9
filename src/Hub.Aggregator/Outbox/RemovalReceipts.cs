using Hub.Contracts;
using Hub.Domain.Catalogue;
using Hub.Domain.Lifecycle;
using Hub.Domain.Subscriptions;
using Hub.Storage;

namespace Hub.Aggregator.Outbox;

/// <summary>The subscriptions in force (the registry file's and the operator API's), for those who owe removal receipts.</summary>
public interface ISubscriptionSource
{
    Task<IReadOnlyList<ResolvedSubscription>> AllAsync(CancellationToken ct);
}

/// <summary>
/// Which removal receipts an end of a listing creates, once the outbox relay has published it: one per subscriber that
/// received the listing (<see cref="RemovalReceiptRules.Owers"/>), due <see cref="WorkingDays.ReceiptDeadline"/> from
/// the publication. The relay takes the subscriptions once per read that holds an end, before it publishes, and hands
/// the receipts to the same transaction that marks the events published (<see cref="IndexDatabase.MarkPublishedAsync"/>):
/// an end marked published has its receipts, and an end that is not is published again with them.
/// </summary>
public sealed class RemovalReceipts(ISubscriptionSource subscriptions, AgencyRegistry agencies, WorkingDays calendar, TimeProvider time)
{
    private readonly EventRouting _routing = new(agencies);

    /// <summary>Now, and the deadline of a receipt for an end published now.</summary>
    private (DateTimeOffset At, DateTimeOffset Deadline) PublishedNow()
    {
        var at = time.GetUtcNow();
        return (at, calendar.ReceiptDeadline(at));
    }

    /// <summary>A ledger for one read of the outbox; null when the read holds no end of a listing (no subscription is read then).</summary>
    public async Task<Ledger?> BeginAsync(IReadOnlyList<OutboxRow> pending, CancellationToken ct) =>
        pending.Any(r => r.MessageType == nameof(SubjectDelisted)) ? new Ledger(this, await subscriptions.AllAsync(ct)) : null;

    /// <summary>The ends one read of the outbox published, and the receipts they owe. Safe for the relay's lanes at once.</summary>
    public sealed class Ledger(RemovalReceipts owner, IReadOnlyList<ResolvedSubscription> subscriptions)
    {
        private readonly List<(SubjectDelisted End, string Agency)> _owed = [];

        /// <summary>An end the broker confirmed (on the in-memory bus: the bus took it).</summary>
        public void Published(SubjectDelisted end)
        {
            var owers = RemovalReceiptRules.Owers(subscriptions, end, owner._routing).Select(s => s.Agency.Code).ToList();
            if (owers.Count == 0) return;
            lock (_owed) _owed.AddRange(owers.Select(a => (end, a)));
        }

        /// <summary>The receipts owed, published now, each due by the end of the 3rd working day after today in Beijing.</summary>
        public IReadOnlyList<RemovalReceiptRow> Receipts()
        {
            lock (_owed)
            {
                if (_owed.Count == 0) return [];
                var (at, deadline) = owner.PublishedNow();
                return _owed.Select(o => new RemovalReceiptRow
                {
                    AgencyCode = o.Agency, ListingId = o.End.ListingId, EventId = o.End.EventId, SubjectId = o.End.HubSubjectId, Status = o.End.Status,
                    PublishedAt = at, Deadline = deadline,
                }).ToList();
            }
        }
    }
}
