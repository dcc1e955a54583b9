using System.Text.Json;
using Hub.Contracts;
using Hub.Domain.Access;
using Hub.Domain.Identifiers;
using Hub.Domain.Intake;

namespace Hub.Aggregator.Applying;

/// <summary>One inbound message as the aggregator applies it: the contract, its bus message id, and its JSON for the ledger.</summary>
/// <param name="PublisherAgency">The registered agency that published the message, as the transport vouches for it
/// (RabbitMQ: the validated <c>user_id</c>; in-memory: the Hub's own adapter's header); null when unknown.</param>
/// <param name="PublisherUser">The broker user the message came with (its <c>user_id</c>), agency or not, to name it
/// when it is refused; null when there was none.</param>
/// <param name="SentAt">When the message was sent to the Hub (its envelope's sent time); null when it does not say.</param>
public sealed record Incoming(string? MessageId, object Message, string? PublisherAgency, string? PublisherUser = null, DateTimeOffset? SentAt = null)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Kind => Message.GetType().Name;

    public SourceStamp? Source => Message switch
    {
        JudgmentDefaulterListed m => m.Source,
        JudgmentDefaulterRemoved m => m.Source,
        AdministrativePenaltyRecorded m => m.Source,
        OrganizationRegistered m => m.Source,
        ListingDisputed m => m.Source,
        DisputeResolved m => m.Source,
        CreditRepairGranted m => m.Source,
        _ => null,
    };

    /// <summary>The date of the act the record reports — the listing or penalty decision, the removal's, registration's,
    /// dispute's or repair's date — from which the data-quality figures count how late it arrived.</summary>
    public DateOnly? DecisionDate => Message switch
    {
        JudgmentDefaulterListed m => (DateOnly?)m.DecisionDate,
        JudgmentDefaulterRemoved m => m.EffectiveDate,
        AdministrativePenaltyRecorded m => m.DecisionDate,
        OrganizationRegistered m => m.RegisteredOn,
        ListingDisputed m => m.FiledOn,
        DisputeResolved m => m.DecidedOn,
        CreditRepairGranted m => m.GrantedOn,
        _ => null,
    } is { } d && d != default ? d : null;

    public string LegalBasis => Message switch
    {
        JudgmentDefaulterListed m => m.LegalBasis,
        JudgmentDefaulterRemoved m => m.LegalBasis,
        AdministrativePenaltyRecorded m => m.LegalBasis,
        OrganizationRegistered m => m.LegalBasis,
        ListingDisputed m => m.LegalBasis,
        DisputeResolved m => m.LegalBasis,
        CreditRepairGranted m => m.LegalBasis,
        _ => "",
    } ?? "";

    /// <summary>A held removal as it arrived: its record, its message id, and the agency that published it (vouched for
    /// when it was held).</summary>
    public static Incoming OfHeld(Storage.HeldRemovalRow row) =>
        new(row.MessageId, JsonSerializer.Deserialize<JudgmentDefaulterRemoved>(row.Payload, Json)!, row.AgencyCode) { WasHeld = true };

    /// <summary>A removal that waited for its listing, judged again now: the data-quality figures counted it when it
    /// arrived (as held), and do not count it a second time.</summary>
    public bool WasHeld { get; init; }

    /// <summary>The source record id of the listing a record acts on (a removal, dispute, decision or repair); null for
    /// a record that lists or registers.</summary>
    public string? ListingSourceRecordId => Message switch
    {
        JudgmentDefaulterRemoved m => m.ListingSourceRecordId,
        ListingDisputed m => m.ListingSourceRecordId,
        DisputeResolved m => m.ListingSourceRecordId,
        CreditRepairGranted m => m.ListingSourceRecordId,
        _ => null,
    };

    public string Payload() => JsonSerializer.Serialize(Message, Message.GetType(), Json);

    /// <summary>
    /// Refuses a record whose publisher nobody vouches for, or that names another agency in <c>source.agencyCode</c>
    /// than the one that published it: a bureau's user must not list people as a court. A record naming no agency at
    /// all is let through to the rules, which refuse it as <c>missing-field</c> — to its publisher.
    /// </summary>
    public Rejection? PublisherMismatch()
    {
        var claimed = Source?.AgencyCode;
        if (PublisherAgency is { } publisher &&
            (string.IsNullOrWhiteSpace(claimed) || string.Equals(publisher, claimed.Trim(), StringComparison.OrdinalIgnoreCase)))
            return null;
        var reason = PublisherAgency is { } agency
            ? $"broker user '{PublisherUser ?? BrokerUsers.UserOf(agency)}' publishes for {agency}, not for the source.agencyCode '{Shown(claimed)}' the record names"
            : PublisherUser is { } user
                ? $"broker user '{Shown(user)}' is no registered agency's; the record names source.agencyCode '{Shown(claimed)}'"
                : $"the message names no publisher (no AMQP user_id); the record names source.agencyCode '{Shown(claimed)}'";
        return new Rejection(Rejection.SpoofedSource, ResidentIdNumber.MaskAllIn(reason));

        // a value anyone could write: storable, short, and never a whole ID number (masked above)
        static string Shown(string? value) => TextGuard.Storable(value) is { } v ? (v.Length > 64 ? v[..63] + "…" : v) : "";
    }
}

/// <summary>What a sweep of the held removals did: applied (their listing is there), quarantined (past the deadline),
/// still waiting.</summary>
public sealed record HeldSweep(int Applied, int Quarantined, int Waiting);

/// <summary>What a batch did, for metrics and logs. <paramref name="Held"/>: removals that wait for their listing.</summary>
public sealed record BatchOutcome(int Applied, int Duplicates, int Rejected, int Held = 0)
{
    public static BatchOutcome operator +(BatchOutcome a, BatchOutcome b) =>
        new(a.Applied + b.Applied, a.Duplicates + b.Duplicates, a.Rejected + b.Rejected, a.Held + b.Held);

    public int Total => Applied + Duplicates + Rejected + Held;
}
