namespace Hub.Domain.Intake;

/// <summary>Why the Hub refuses a record: a stable code for machines and a sentence naming what and where.
/// Never carries a whole ID number.</summary>
public sealed record Rejection(string Code, string Reason)
{
    public const string UnknownAgency = "unknown-agency";
    public const string UnknownBasis = "unknown-basis";
    public const string NotCompetent = "not-competent";
    public const string WrongRecordKind = "basis-not-for-record";
    public const string InvalidIdentifier = "invalid-identifier";
    public const string MissingIdentifier = "missing-identifier";
    public const string MissingField = "missing-field";
    public const string InvalidTerm = "invalid-term";
    public const string Minor = "minor";
    public const string NoSuchListing = "no-such-listing";
    public const string StaleRevision = "stale-revision";
    public const string InvalidText = "invalid-text";
    public const string InvalidDate = "invalid-date";

    /// <summary>Credit repair for a basis the catalogue allows none for (every judgment-defaulter basis).</summary>
    public const string RepairNotAllowed = "repair-not-allowed";

    /// <summary>Credit repair effective before the listing's minimum publicity period has run.</summary>
    public const string RepairTooEarly = "repair-too-early";

    /// <summary>A dispute of a listing that has one open already.</summary>
    public const string DisputeOpen = "dispute-open";

    /// <summary>A decision of a dispute the Hub does not hold open for that listing.</summary>
    public const string NoSuchDispute = "no-such-dispute";

    /// <summary>A record about a listing names another legal basis than the listing's own.</summary>
    public const string BasisMismatch = "basis-mismatch";

    /// <summary>The record names another agency than the one that published it (the broker-validated user), or nobody
    /// vouches for its publisher at all.</summary>
    public const string SpoofedSource = "spoofed-source";

    /// <summary>The Hub failed to apply the record for a reason no rule foresaw (its own fault or the database's);
    /// kept for operators, the rest of its batch applied.</summary>
    public const string ApplyFailed = "apply-failed";
}

/// <summary>Either a value or a rejection.</summary>
public readonly record struct Decision<T>(T? Value, Rejection? Rejection) where T : class
{
    public static implicit operator Decision<T>(T value) => new(value, null);
    public static implicit operator Decision<T>(Rejection rejection) => new(null, rejection);
}
