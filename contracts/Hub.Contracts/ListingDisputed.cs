using System.Text.Json.Serialization;
using MassTransit;

namespace Hub.Contracts;

/// <summary>How a listed party contests a listing. On the wire: the member name as a string.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DisputeKind>))]
public enum DisputeKind
{
    /// <summary>A correction request to the issuer (to a court: decided within 15 days; the catalogue says per basis).</summary>
    CorrectionRequest,
    /// <summary>An administrative reconsideration or a lawsuit against the decision behind the listing; the Hub tracks
    /// no deadline for it.</summary>
    Appeal,
}

/// <summary>
/// The issuer of a listing received a dispute of it: the listed party asks for correction, or appeals the decision.
/// The listing stays in force, marked disputed to every subscriber, until the issuer sends <see cref="DisputeResolved"/>.
/// Exchange <c>hub.listing-disputed</c>.
/// </summary>
[MessageUrn("hub:listing-disputed:v1")]
[EntityName("hub.listing-disputed")]
public sealed record ListingDisputed
{
    /// <summary>Who sent it. <see cref="SourceStamp.SourceRecordId"/> is this dispute's own id. Required.</summary>
    public required SourceStamp Source { get; init; }

    /// <summary>Legal-basis code of the disputed listing. Required.</summary>
    public required string LegalBasis { get; init; }

    /// <summary>The <see cref="SourceStamp.SourceRecordId"/> under which the same agency sent the listing. Required.</summary>
    public required string ListingSourceRecordId { get; init; }

    /// <summary>Correction request or appeal. Required.</summary>
    public required DisputeKind Kind { get; init; }

    /// <summary>The day the issuer received the dispute; the review deadline counts from it. Required.</summary>
    public required DateOnly FiledOn { get; init; }
}
