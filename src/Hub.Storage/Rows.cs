namespace Hub.Storage;

// Rows as stored. Settable properties so Dapper maps them the same from SQLite (text, int64) and PostgreSQL.

public sealed class SubjectRow
{
    public string Id { get; set; } = "";
    public string Kind { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public string NormalizedName { get; set; } = "";
    public string? HomeRegion { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>An organisation's core name, for name search; null for persons (and for organisations until the
    /// backfill reaches those stored before it existed).</summary>
    public string? CoreName { get; set; }
}

/// <summary>A subject found by a weak key (a masked ID number): who it is, its normalised name, and whether the index
/// holds its whole number (then it can only be the person whose whole number masks to it).</summary>
public sealed class WeakCandidateRow
{
    /// <summary><c>ric-masked</c> or <c>name-birth</c>.</summary>
    public string Scheme { get; set; } = "";
    public string Value { get; set; } = "";
    public string SubjectId { get; set; } = "";
    public string Kind { get; set; } = "";
    public string NormalizedName { get; set; } = "";
    public string? FullNumber { get; set; }
    /// <summary>The subject that carries the key; differs from <see cref="SubjectId"/> when an operator merged it there.</summary>
    public string CarrierId { get; set; } = "";
}

public sealed class IdentifierRow
{
    public string Scheme { get; set; } = "";
    public string Value { get; set; } = "";
    public string SubjectId { get; set; } = "";
    public bool Strong { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class RelationRow
{
    public string Id { get; set; } = "";
    public string OrganizationId { get; set; } = "";
    public string PersonId { get; set; } = "";
    public string Role { get; set; } = "";
    public DateOnly ValidFrom { get; set; }
    public DateOnly? ValidTo { get; set; }
    public string AgencyCode { get; set; } = "";
    public string SourceRecordId { get; set; } = "";
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>A relation with the normalised name of the person, for reusing a legal representative known only by name.</summary>
/// <summary>A legal-representative relation of an organisation, open or ended, with the person's name and whole ID
/// number (for the events of a listing imputed to them).</summary>
public sealed class RepresentativeRow
{
    public string OrganizationId { get; set; } = "";
    public string PersonId { get; set; } = "";
    public string NormalizedName { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public string? FullNumber { get; set; }
    public DateOnly ValidFrom { get; set; }
    public DateOnly? ValidTo { get; set; }
}

public sealed class LedgerRow
{
    public string AgencyCode { get; set; } = "";
    public string SourceRecordId { get; set; } = "";
    public int Revision { get; set; }
    public string Kind { get; set; } = "";
    public string? MessageId { get; set; }
    public string LegalBasis { get; set; } = "";
    public string CatalogueVersion { get; set; } = "";
    public string Payload { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
}

public sealed class ListingRow
{
    public string Id { get; set; } = "";
    public string SubjectId { get; set; } = "";
    public string ListType { get; set; } = "";
    public string LegalBasis { get; set; } = "";
    public string CatalogueVersion { get; set; } = "";
    public string OriginAgency { get; set; } = "";
    public string OriginProvince { get; set; } = "";
    public string SourceRecordId { get; set; } = "";
    public int SourceRevision { get; set; }
    public string Reference { get; set; } = "";
    public DateOnly ValidFrom { get; set; }
    public DateOnly? ValidUntil { get; set; }
    public string Status { get; set; } = ListingStatus.Active;
    public string? StatusReason { get; set; }
    public DateOnly? EndedOn { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public DateTimeOffset? SupersededAt { get; set; }
    public string? ParentListingId { get; set; }
    public string? ImputedRole { get; set; }
}

public static class ListingStatus
{
    public const string Active = "active";
    public const string Removed = "removed";
    public const string Superseded = "superseded";

    /// <summary>Its term ran out and nobody ended it before: ended by the Hub's expiry sweep, reason <c>expired</c>.</summary>
    public const string Expired = "expired";

    /// <summary>Annulled: the decision behind it was revoked on correction or appeal; in force on no day.</summary>
    public const string Revoked = "revoked";

    /// <summary>Ended early by credit repair.</summary>
    public const string Repaired = "repaired";
}

public sealed class QuarantineRow
{
    public string Id { get; set; } = "";
    public string? AgencyCode { get; set; }
    public string? SourceRecordId { get; set; }
    public int? Revision { get; set; }
    public string Kind { get; set; } = "";
    public string ReasonCode { get; set; } = "";
    public string Reason { get; set; } = "";
    public string Payload { get; set; } = "";
    public string? MessageId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset? ReleasedAt { get; set; }
    /// <summary>What an operator decided, where the read joins it: <c>released</c> or <c>rejected</c>; null while the
    /// record waits (and in reads that do not join the decisions).</summary>
    public string? Decision { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public string? DecidedBy { get; set; }
    public string? Note { get; set; }
    public string? Outcome { get; set; }
}

/// <summary>A court's removal that arrived before the listing it ends: it waits for that listing (same agency,
/// <see cref="ListingSourceRecordId"/>) until <see cref="Deadline"/>, then goes to quarantine.</summary>
public sealed class HeldRemovalRow
{
    public string Id { get; set; } = "";
    public string AgencyCode { get; set; } = "";
    public string SourceRecordId { get; set; } = "";
    public int Revision { get; set; }
    public string ListingSourceRecordId { get; set; } = "";
    public string Kind { get; set; } = "";
    public string? MessageId { get; set; }
    /// <summary>The record as received (canonical JSON), applied as it is when its listing arrives.</summary>
    public string Payload { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset Deadline { get; set; }
}

/// <summary>
/// A court's removal the Hub applied, and whether the <c>SubjectDelisted</c> it owes went out in time: received at
/// <see cref="ReceivedAt"/>, due by <see cref="Deadline"/> (3 working days, <c>WorkingDays.RemovalDeadline</c>), published at
/// <see cref="PublishedAt"/> (set by the outbox relay when it publishes the event <see cref="EventId"/>; null until then).
/// </summary>
public sealed class RemovalDeadlineRow
{
    public string Id { get; set; } = "";
    public string AgencyCode { get; set; } = "";
    public string SourceRecordId { get; set; } = "";
    public int Revision { get; set; }
    /// <summary>The listing the removal ended (the one issued, not the ones imputed from it).</summary>
    public string ListingId { get; set; } = "";
    /// <summary>The <c>EventId</c> of that listing's <c>SubjectDelisted</c>.</summary>
    public string EventId { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset Deadline { get; set; }
    public DateTimeOffset? PublishedAt { get; set; }
}

/// <summary>
/// A removal receipt: the subscriber <see cref="AgencyCode"/> received the listing <see cref="ListingId"/>, whose end
/// (<c>SubjectDelisted</c> <see cref="EventId"/>, <see cref="Status"/> removed, revoked, repaired or expired) the outbox
/// relay published at <see cref="PublishedAt"/>; the subscriber must acknowledge it has stopped applying the listing by
/// <see cref="Deadline"/> (3 working days, <c>WorkingDays.ReceiptDeadline</c>). <see cref="AcknowledgedAt"/> is null until it does.
/// </summary>
public sealed class RemovalReceiptRow
{
    public string AgencyCode { get; set; } = "";
    public string ListingId { get; set; } = "";
    public string EventId { get; set; } = "";
    public string SubjectId { get; set; } = "";
    public string Status { get; set; } = "";
    public DateTimeOffset PublishedAt { get; set; }
    public DateTimeOffset Deadline { get; set; }
    public DateTimeOffset? AcknowledgedAt { get; set; }
}

/// <summary>The receipts of one agency a report holds (before its limit): how many, and the earliest deadline among them.</summary>
public sealed class RemovalReceiptAgencyRow
{
    public string AgencyCode { get; set; } = "";
    public long Receipts { get; set; }
    public DateTimeOffset EarliestDeadline { get; set; }
}

/// <summary>The answer of an acknowledgement: the receipts the agency owes among the listing ids given, as stored after
/// it (acknowledged), and which of them this acknowledgement was the first for.</summary>
public sealed record ReceiptAcknowledgement(IReadOnlyList<RemovalReceiptRow> Receipts, IReadOnlySet<string> NewlyAcknowledged);

/// <summary>
/// A dispute of a listing (a correction request or an appeal), from the day its issuer received it until the issuer
/// decided it. Keyed to the listing's source record (<see cref="AgencyCode"/>, <see cref="ListingSourceRecordId"/>),
/// so it follows the listing through corrections; at most one is open per listing.
/// </summary>
public sealed class DisputeRow
{
    public string Id { get; set; } = "";
    public string AgencyCode { get; set; } = "";
    public string ListingSourceRecordId { get; set; } = "";
    /// <summary>The dispute record's own source record id and revision.</summary>
    public string SourceRecordId { get; set; } = "";
    public int Revision { get; set; }
    /// <summary><c>CorrectionRequest</c> or <c>Appeal</c>.</summary>
    public string Kind { get; set; } = "";
    /// <summary>The subject of the issued listing, and that listing's id, when the dispute was opened.</summary>
    public string SubjectId { get; set; } = "";
    public string ListingId { get; set; } = "";
    public DateOnly FiledOn { get; set; }
    /// <summary>The last day (China Standard Time) to decide it; null where none is tracked.</summary>
    public DateOnly? ReviewDeadline { get; set; }
    public DateTimeOffset OpenedAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    /// <summary><c>Upheld</c>, <c>Corrected</c> or <c>Revoked</c>; null while open.</summary>
    public string? Outcome { get; set; }
    public DateOnly? DecidedOn { get; set; }
    public string? ResolutionSourceRecordId { get; set; }
}

/// <summary>A stored open dispute decided by a batch.</summary>
public sealed record DisputeResolution(string DisputeId, string Outcome, DateOnly DecidedOn, string ResolutionSourceRecordId, DateTimeOffset At);

public sealed class OutboxRow
{
    public long Id { get; set; }
    public string MessageType { get; set; } = "";
    public string Payload { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Events with the same key (the subject, or the rejected record) are published in outbox order; others may overtake.</summary>
    public string? OrderingKey { get; set; }
}

/// <summary>Everything the index holds about one subject, for the lookup API.</summary>
public sealed record SubjectDetail(
    SubjectRow Subject,
    IReadOnlyList<IdentifierRow> Identifiers,
    IReadOnlyList<ListingRow> Listings,
    IReadOnlyList<RelationRow> Relations,
    IReadOnlyList<SubjectRow> Related,
    IReadOnlyList<DisputeRow> Disputes,
    IReadOnlyList<ListingRow> RelatedListings);

/// <summary>Every listing a subject ever had (ended ones included) and the ledger rows behind them, for history and
/// as-of queries: record time is the listing's <c>recorded_at</c> and <c>superseded_at</c>, valid time its term.</summary>
public sealed record SubjectHistory(
    SubjectRow Subject,
    IReadOnlyList<IdentifierRow> Identifiers,
    IReadOnlyList<ListingRow> Listings,
    IReadOnlyList<LedgerRow> Records,
    IReadOnlyList<DisputeRow> Disputes);

/// <summary>A listing that ends: removed by its issuer, superseded by a newer revision, or expired at the end of its term.</summary>
public sealed record ListingEnd(string ListingId, string Status, string Reason, DateOnly EndedOn, DateTimeOffset At);

/// <summary>An organisation's stored open relation of a role that ends where its successor begins.</summary>
public sealed record RelationEnd(string OrganizationId, string Role, DateOnly ValidTo);

/// <summary>Everything one batch adds to the index, written with multi-row statements in one transaction.</summary>
public sealed class IndexWrite(DateTimeOffset at)
{
    /// <summary>When the batch was applied; stamps the inbox entries.</summary>
    public DateTimeOffset At { get; } = at;

    public List<SubjectRow> Subjects { get; } = [];
    public List<IdentifierRow> Identifiers { get; } = [];
    public List<RelationRow> Relations { get; } = [];
    public List<RelationEnd> RelationEnds { get; } = [];
    public List<ListingRow> Listings { get; } = [];
    public List<ListingEnd> ListingEnds { get; } = [];
    public List<LedgerRow> Records { get; } = [];
    public List<string> InboxMessageIds { get; } = [];
    public List<QuarantineRow> Quarantine { get; } = [];
    public List<OutboxRow> Outbox { get; } = [];

    /// <summary>Removals that wait for their listing.</summary>
    public List<HeldRemovalRow> HeldRemovals { get; } = [];

    /// <summary>Held removals that were applied or quarantined: their rows go. Each must still be there, or another
    /// transaction dealt with it first (<see cref="ConcurrentChangeException"/>).</summary>
    public List<string> ReleasedHeldRemovals { get; } = [];

    /// <summary>Removals applied by this batch, with their deadline; the relay marks them published.</summary>
    public List<RemovalDeadlineRow> RemovalDeadlines { get; } = [];

    /// <summary>Disputes opened by this batch (those also decided in it carry their outcome).</summary>
    public List<DisputeRow> Disputes { get; } = [];

    /// <summary>Stored open disputes decided by this batch. Each must still be open, or another transaction decided it
    /// first (<see cref="ConcurrentChangeException"/>).</summary>
    public List<DisputeResolution> DisputeResolutions { get; } = [];

    /// <summary>Pairs of subjects this batch found may be one: for review.</summary>
    public List<MatchReviewRow> Reviews { get; } = [];

    /// <summary>What the batch did, for the audit log: appended to the chain last, just before the commit.</summary>
    public List<Audit.AuditEntry> Audit { get; } = [];

    /// <summary>One row per record judged, for the data-quality figures (<c>record_intake</c>).</summary>
    public List<IntakeRow> Intake { get; } = [];
}

/// <summary>A record as the aggregator judged it, for the data-quality figures: when it was applied (<see cref="At"/>)
/// and sent, the publisher the transport vouched for and its province, the outcome (<c>applied</c>, <c>held</c>,
/// <c>duplicate</c>, <c>quarantined</c> with <see cref="ReasonCode"/>), the subject, the record's decision date, the issued
/// listings it wrote, and the first event it raised (<see cref="EventId"/>; the relay sets <see cref="RelayedAt"/>).</summary>
public sealed class IntakeRow
{
    public DateTimeOffset At { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? AgencyCode { get; set; }
    public string? Province { get; set; }
    public string Kind { get; set; } = "";
    public string Outcome { get; set; } = "";
    public string? ReasonCode { get; set; }
    public string? SubjectId { get; set; }
    public DateOnly? DecisionDate { get; set; }
    public int Listings { get; set; }
    public string? EventId { get; set; }
    public DateTimeOffset? RelayedAt { get; set; }
}

/// <summary>A subscription an operator made through the API (those declared in the registry file are not stored). The
/// filter is its JSON; the webhook secret signs the bodies POSTed to the subscriber.</summary>
public sealed class SubscriptionRow
{
    public string AgencyCode { get; set; } = "";
    public string Delivery { get; set; } = "";
    public string? WebhookUrl { get; set; }
    public string Filter { get; set; } = "{}";
    public string? WebhookSecret { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}

/// <summary>A subscriber's queue on the broker as the Hub last bound it: the binding keys applied (one per line), when,
/// and when the Hub last found it missing and declared it again.</summary>
public sealed class SubscriberQueueRow
{
    public string AgencyCode { get; set; } = "";
    public string Queue { get; set; } = "";
    public string BindingKeys { get; set; } = "";
    public DateTimeOffset SyncedAt { get; set; }
    public DateTimeOffset? RecreatedAt { get; set; }
}

/// <summary>A listing in force tied to a person: their own (<c>listed</c>) or their organisation's
/// (<c>legal-representative</c>), for relocation alerts.</summary>
public sealed class TiedListingRow
{
    public string PersonId { get; set; } = "";
    public string Relation { get; set; } = "";
    public string Id { get; set; } = "";
    public string SubjectId { get; set; } = "";
    public string ListType { get; set; } = "";
    public string LegalBasis { get; set; } = "";
    public string OriginAgency { get; set; } = "";
    public string OriginProvince { get; set; } = "";
    public string Status { get; set; } = "";
    public DateOnly ValidFrom { get; set; }
    public DateOnly? ValidUntil { get; set; }
}

/// <summary>An issued listing in force of an organisation found by its core name, with the organisation's current
/// legal representative, for relocation alerts by name.</summary>
public sealed class CoreNameListingRow
{
    public string CoreName { get; set; } = "";
    public string SubjectId { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public string? HomeRegion { get; set; }
    public string RepresentativeId { get; set; } = "";
    public string RepresentativeName { get; set; } = "";
    public string? RepresentativeNumber { get; set; }
    public string? RepresentativeMasked { get; set; }
    public string Id { get; set; } = "";
    public string ListType { get; set; } = "";
    public string LegalBasis { get; set; } = "";
    public string OriginAgency { get; set; } = "";
    public string OriginProvince { get; set; } = "";
    public string Status { get; set; } = "";
    public DateOnly ValidFrom { get; set; }
    public DateOnly? ValidUntil { get; set; }
}

/// <summary>A pair of subjects that may be one (<see cref="SubjectA"/> known before, <see cref="SubjectB"/> new), its
/// score and evidence (JSON), and an operator's judgement: <c>pending</c>, <c>same</c> (merged) or <c>not-same</c>.</summary>
public sealed class MatchReviewRow
{
    public string Id { get; set; } = "";
    public string SubjectA { get; set; } = "";
    public string SubjectB { get; set; } = "";
    public string Kind { get; set; } = "";
    public double Score { get; set; }
    public string Evidence { get; set; } = "[]";
    public string Status { get; set; } = "pending";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public string? DecidedBy { get; set; }
    public string? Note { get; set; }
}

/// <summary>A subject merged into another: every read and every resolution of <see cref="MergedId"/> goes to
/// <see cref="IntoId"/> until the merge is split. <see cref="Repointed"/>: subjects merged into the merged one before,
/// which this merge sent on to <see cref="IntoId"/> (one per line), for the split to send back.</summary>
public sealed class SubjectMergeRow
{
    public string MergedId { get; set; } = "";
    public string IntoId { get; set; } = "";
    public DateTimeOffset MergedAt { get; set; }
    public string MergedBy { get; set; } = "";
    public string? ReviewId { get; set; }
    public string Repointed { get; set; } = "";
    /// <summary>What the merge moved from the merged subject to the other (JSON <see cref="MovedRows"/>), for the split.</summary>
    public string Moved { get; set; } = "{}";
}

/// <summary>The rows a merge moved: listings, identifiers, relations (by the side they held), disputes, by key.</summary>
public sealed record MovedRows(IReadOnlyList<string> Listings, IReadOnlyList<string> Identifiers, IReadOnlyList<string> OrganizationRelations,
    IReadOnlyList<string> PersonRelations, IReadOnlyList<string> Disputes);

/// <summary>What a merge or a split did: the subjects, and the listings that changed hands.</summary>
public sealed record MergeOutcome(string IntoId, string MergedId, IReadOnlyList<string> Listings);

/// <summary>An API key as stored: only its SHA-256 hash, never the key.</summary>
public sealed class ApiKeyRow
{
    public string Id { get; set; } = "";
    public string Principal { get; set; } = "";
    public string KeyHash { get; set; } = "";
    public string? Label { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>
/// A subject as a check names it: <see cref="Scheme"/> <c>uscc</c>, <c>ric</c> (a full resident ID number) or
/// <c>hub-id</c>, and its <see cref="Value"/> normalised (<c>IdentifierCheck.Normalized</c>, a hub id in lower case).
/// </summary>
public sealed record SubjectKey(string Scheme, string Value)
{
    public const string Uscc = "uscc";
    public const string Ric = "ric";
    public const string HubId = "hub-id";
}

/// <summary>One row of a check's read: the subject a key found, and one of its listings (none: the listing columns are
/// null). An imputed listing carries the subject of the listing it was imputed from.</summary>
public sealed class CheckRow
{
    public string KeyScheme { get; set; } = "";
    public string KeyValue { get; set; } = "";
    public string SubjectId { get; set; } = "";
    public string SubjectKind { get; set; } = "";
    public string SubjectName { get; set; } = "";
    public string? ListingId { get; set; }
    public string ListType { get; set; } = "";
    public string LegalBasis { get; set; } = "";
    public string CatalogueVersion { get; set; } = "";
    public string OriginAgency { get; set; } = "";
    public string OriginProvince { get; set; } = "";
    public string Reference { get; set; } = "";
    public DateOnly? ValidFrom { get; set; }
    public DateOnly? ValidUntil { get; set; }
    public string Status { get; set; } = "";
    public string? ParentListingId { get; set; }
    public string? ImputedRole { get; set; }
    public string? ParentSubjectId { get; set; }
    public string? ParentSubjectName { get; set; }
}

/// <summary>The subject a check's key found: its hub id, kind and name.</summary>
public sealed record CheckedSubject(string Id, string Kind, string DisplayName);

/// <summary>A subject as a check found it (null: the index does not know the key), with every listing it has — ended
/// ones too: <c>ListingClock.StateOn</c> decides what each is on the day asked.</summary>
public sealed record CheckSubjectRead(SubjectKey Key, CheckedSubject? Subject, IReadOnlyList<CheckRow> Listings);
