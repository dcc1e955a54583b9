using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// A listing of a subject is disputed: its issuer received a correction request or an appeal. The listing stays in
/// force until <see cref="SubjectDisputeResolved"/>; a subscriber shows it as disputed meanwhile. One event per listing
/// (the issued one and each imputed from it). Exchange <c>hub.subject-disputed</c>.
/// </summary>
[MessageUrn("hub:subject-disputed:v1")]
[EntityName("hub.subject-disputed")]
public sealed record SubjectDisputed
{
    /// <summary>Unique id of this event.</summary>
    public required string EventId { get; init; }

    /// <summary>The Hub's stable id of the subject.</summary>
    public required string HubSubjectId { get; init; }

    /// <summary>The Hub's id of the disputed listing.</summary>
    public required string ListingId { get; init; }

    /// <summary>List type from the catalogue.</summary>
    public required string ListType { get; init; }

    /// <summary>Agency that issued the listing (and received the dispute).</summary>
    public required string OriginAgency { get; init; }

    /// <summary>The Hub's id of the dispute; <see cref="SubjectDisputeResolved"/> names it again.</summary>
    public required string DisputeId { get; init; }

    /// <summary><c>CorrectionRequest</c> or <c>Appeal</c>.</summary>
    public required string DisputeKind { get; init; }

    /// <summary>The day the issuer received the dispute.</summary>
    public required DateOnly FiledOn { get; init; }

    /// <summary>The last day the issuer has to decide it; missing where the Hub tracks no deadline (an appeal).</summary>
    public DateOnly? ReviewDeadline { get; init; }

    /// <summary>When the Hub recorded the dispute (UTC).</summary>
    public required DateTimeOffset RecordedAt { get; init; }
}
