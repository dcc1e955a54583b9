using Hub.Contracts;

namespace Hub.Domain.Subscriptions;

/// <summary>
/// Removal receipts: when a listing ends, every subscriber that received it must acknowledge that it has stopped
/// applying it, within <see cref="Lifecycle.WorkingDays.ReceiptWorkingDays"/> working days of the end's publication.
/// Which ends owe one, and who owes it, is decided here; when it is due, by <see cref="Lifecycle.WorkingDays.ReceiptDeadline"/>.
/// </summary>
public static class RemovalReceiptRules
{
    /// <summary>The status of an end that is a correction: the subscriber receives the correction's own
    /// <see cref="SubjectListed"/> and goes on applying it, so there is nothing to stop.</summary>
    public const string Superseded = "superseded";

    /// <summary>Whether an end owes receipts: a listing removed, revoked, repaired or expired — every end but a correction.</summary>
    public static bool OwesReceipts(SubjectDelisted end) => !string.Equals(end.Status, Superseded, StringComparison.Ordinal);

    /// <summary>
    /// The subscriptions that owe a receipt for <paramref name="end"/>: those whose filter sends them this end (its
    /// routing key) and the listing itself — <c>listed</c> with the same list type and origin province — so that a
    /// subscriber of ends alone, which never received the listing, owes nothing. The rules make a subscriber of
    /// <c>listed</c> receive <c>delisted</c> and <c>expired</c> too, so every subscriber that received a listing hears
    /// of its end.
    /// </summary>
    public static IEnumerable<ResolvedSubscription> Owers(IEnumerable<ResolvedSubscription> subscriptions, SubjectDelisted end, EventRouting routing)
    {
        if (!OwesReceipts(end)) return [];
        var endKey = routing.RoutingKeyOf(end);
        var dot = endKey.IndexOf('.', StringComparison.Ordinal);
        var listedKey = EventKinds.Listed + endKey[dot..];
        return subscriptions.Where(s => s.Receives(endKey) && s.Receives(listedKey));
    }
}
