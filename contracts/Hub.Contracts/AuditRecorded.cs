using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// Hub-internal: audit entries from a Hub process that has no index database of its own (the court adapter running
/// alone), for the aggregator to append to the audit log's chain. Only the Hub's own broker users may publish it
/// (agencies have no write permission on <c>hub.audit</c>); the aggregator refuses one published as an agency.
/// Exchange <c>hub.audit</c>.
/// </summary>
[MessageUrn("hub:audit-recorded:v1")]
[EntityName("hub.audit")]
public sealed record AuditRecorded
{
    /// <summary>The entries, in the order they happened.</summary>
    public required IReadOnlyList<AuditRecordedEntry> Entries { get; init; }
}

/// <summary>One audit entry. <see cref="Detail"/> never holds a whole ID number.</summary>
public sealed record AuditRecordedEntry
{
    /// <summary>When it happened (UTC).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Who: an agency code, <c>role:name</c> for staff, or <c>anonymous</c>.</summary>
    public required string Principal { get; init; }

    /// <summary>The agency the principal acts for; missing for staff and the anonymous.</summary>
    public string? AgencyCode { get; init; }

    /// <summary>What: e.g. <c>court-notices.submit</c>, or the method and route of a refused request.</summary>
    public required string Action { get; init; }

    /// <summary>The scope used, or lacked.</summary>
    public string? Scope { get; init; }

    /// <summary>The hub id of the subject it was about, when it was about one.</summary>
    public string? SubjectId { get; init; }

    /// <summary>How it ended: e.g. <c>answered</c>, <c>refused</c>, <c>refused-forbidden</c>.</summary>
    public required string Outcome { get; init; }

    /// <summary>A short sentence: counts, the reason of a refusal.</summary>
    public string? Detail { get; init; }

    /// <summary>Which door: <c>http</c> or <c>bus</c>.</summary>
    public required string Channel { get; init; }
}
