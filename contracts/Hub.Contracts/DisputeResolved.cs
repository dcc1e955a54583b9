using System.Text.Json.Serialization;
using MassTransit;

namespace Hub.Contracts;

/// <summary>How a dispute ended. On the wire: the member name as a string.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DisputeOutcome>))]
public enum DisputeOutcome
{
    /// <summary>The dispute was rejected: the listing stands as it is.</summary>
    Upheld,
    /// <summary>The listing was corrected: its issuer sends the correction as a higher revision of the listing.</summary>
    Corrected,
    /// <summary>The decision behind the listing was revoked (on correction or appeal): the listing is annulled, as if it
    /// had never been in force.</summary>
    Revoked,
}

/// <summary>
/// The issuer decided a dispute it reported with <see cref="ListingDisputed"/>. Exchange <c>hub.dispute-resolved</c>.
/// </summary>
[MessageUrn("hub:dispute-resolved:v1")]
[EntityName("hub.dispute-resolved")]
public sealed record DisputeResolved
{
    /// <summary>Who sent it. <see cref="SourceStamp.SourceRecordId"/> is this decision's own id. Required.</summary>
    public required SourceStamp Source { get; init; }

    /// <summary>Legal-basis code of the disputed listing. Required.</summary>
    public required string LegalBasis { get; init; }

    /// <summary>The <see cref="SourceStamp.SourceRecordId"/> under which the same agency sent the listing. Required.</summary>
    public required string ListingSourceRecordId { get; init; }

    /// <summary>The <see cref="SourceStamp.SourceRecordId"/> of the <see cref="ListingDisputed"/> this decides. Required.</summary>
    public required string DisputeSourceRecordId { get; init; }

    /// <summary>Upheld, corrected or revoked. Required.</summary>
    public required DisputeOutcome Outcome { get; init; }

    /// <summary>The day of the decision. Required.</summary>
    public required DateOnly DecidedOn { get; init; }
}
