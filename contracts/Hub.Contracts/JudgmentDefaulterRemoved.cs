using System.Text.Json.Serialization;
using MassTransit;

namespace Hub.Contracts;

/// <summary>Why a listing came off the list. On the wire: the member name as a string.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RemovalReason>))]
public enum RemovalReason
{
    /// <summary>The obligation was performed.</summary>
    Performed,
    /// <summary>A settlement agreement was performed.</summary>
    Settlement,
    /// <summary>The creditor asked for removal.</summary>
    CreditorRequest,
    /// <summary>The enforcement basis was revoked.</summary>
    BasisRevoked,
    /// <summary>A correction request of the listed party was accepted.</summary>
    CorrectionAccepted,
}

/// <summary>
/// A court took a judgment defaulter off the list. Exchange <c>hub.judgment-defaulter-removed</c>.
/// </summary>
[MessageUrn("hub:judgment-defaulter-removed:v1")]
[EntityName("hub.judgment-defaulter-removed")]
public sealed record JudgmentDefaulterRemoved
{
    /// <summary>Who sent it. <see cref="SourceStamp.SourceRecordId"/> is the id of this removal notice. Required.</summary>
    public required SourceStamp Source { get; init; }

    /// <summary>Legal-basis code of the listing being removed (<c>JD-1</c> … <c>JD-6</c>). Required.</summary>
    public required string LegalBasis { get; init; }

    /// <summary>The <see cref="SourceStamp.SourceRecordId"/> under which the same agency sent the listing. Required.</summary>
    public required string ListingSourceRecordId { get; init; }

    /// <summary>Why the listing ends. Required.</summary>
    public required RemovalReason Reason { get; init; }

    /// <summary>Date from which the subject is no longer listed. Required.</summary>
    public required DateOnly EffectiveDate { get; init; }
}
