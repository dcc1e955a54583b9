using Hub.Aggregator.Outbox;
using Hub.Domain.Subscriptions;

namespace Hub.Host.Subscribers;

/// <summary>The subscriptions in force, as the outbox relay asks for them when it records removal receipts.</summary>
public sealed class DirectorySubscriptionSource(SubscriptionDirectory directory) : ISubscriptionSource
{
    public Task<IReadOnlyList<ResolvedSubscription>> AllAsync(CancellationToken ct) => directory.AllAsync(ct);
}
