namespace Hub.Contracts;

/// <summary>
/// Where an inbound record comes from. Every inbound event carries one; the Hub uses
/// (<see cref="AgencyCode"/>, <see cref="SourceRecordId"/>, <see cref="Revision"/>) to drop exact duplicates.
/// </summary>
public sealed record SourceStamp
{
    /// <summary>The publishing agency's code as registered with the Hub, e.g. <c>COURT-34-1122</c>. Required.</summary>
    public required string AgencyCode { get; init; }

    /// <summary>The record's id in the agency's own system; stable across revisions. Required.</summary>
    public required string SourceRecordId { get; init; }

    /// <summary>Revision of the record in the agency's system, starting at 1. A higher revision of the same
    /// record corrects the earlier one; the same revision sent again changes nothing.</summary>
    public int Revision { get; init; } = 1;

    /// <summary>When the agency recorded this revision (UTC).</summary>
    public DateTimeOffset RecordedAt { get; init; }
}
