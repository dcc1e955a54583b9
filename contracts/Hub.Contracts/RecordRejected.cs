using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// The Hub refused an inbound record and kept it in quarantine. Addressed to the publishing agency
/// (filter on <see cref="AgencyCode"/>). Exchange <c>hub.record-rejected</c>.
/// </summary>
[MessageUrn("hub:record-rejected:v1")]
[EntityName("hub.record-rejected")]
public sealed record RecordRejected
{
    /// <summary>Unique id of this event.</summary>
    public required string EventId { get; init; }

    /// <summary>The agency that sent the record.</summary>
    public required string AgencyCode { get; init; }

    /// <summary>The record's id in the agency's system.</summary>
    public required string SourceRecordId { get; init; }

    /// <summary>The revision that was refused.</summary>
    public required int Revision { get; init; }

    /// <summary>Kind of the refused record, e.g. <c>JudgmentDefaulterListed</c>.</summary>
    public required string RecordKind { get; init; }

    /// <summary>Machine-readable reason, e.g. <c>invalid-identifier</c>, <c>unknown-basis</c>, <c>not-competent</c>.</summary>
    public required string ReasonCode { get; init; }

    /// <summary>What is wrong and where, for a person to read. Never contains a whole ID number.</summary>
    public required string Reason { get; init; }

    /// <summary>Id of the quarantine entry that holds the record.</summary>
    public required string QuarantineId { get; init; }

    /// <summary>When the Hub refused it (UTC).</summary>
    public required DateTimeOffset RejectedAt { get; init; }
}
