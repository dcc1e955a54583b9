using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// A dispute of a listing was decided. <c>Upheld</c> and <c>Corrected</c> leave the listing in force (a correction
/// arrives as a new listing that supersedes it); <c>Revoked</c> is followed by <see cref="SubjectDelisted"/> with status
/// <c>revoked</c>. One event per listing the dispute marked. Exchange <c>hub.subject-dispute-resolved</c>.
/// </summary>
[MessageUrn("hub:subject-dispute-resolved:v1")]
[EntityName("hub.subject-dispute-resolved")]
public sealed record SubjectDisputeResolved
{
    /// <summary>Unique id of this event.</summary>
    public required string EventId { get; init; }

    /// <summary>The Hub's stable id of the subject.</summary>
    public required string HubSubjectId { get; init; }

    /// <summary>The Hub's id of the listing the dispute is about (its current revision).</summary>
    public required string ListingId { get; init; }

    /// <summary>List type from the catalogue.</summary>
    public required string ListType { get; init; }

    /// <summary>Agency that issued the listing.</summary>
    public required string OriginAgency { get; init; }

    /// <summary>The Hub's id of the dispute, as in <see cref="SubjectDisputed"/>.</summary>
    public required string DisputeId { get; init; }

    /// <summary><c>Upheld</c>, <c>Corrected</c> or <c>Revoked</c>.</summary>
    public required string Outcome { get; init; }

    /// <summary>The day of the decision.</summary>
    public required DateOnly DecidedOn { get; init; }

    /// <summary>When the Hub recorded the decision (UTC).</summary>
    public required DateTimeOffset RecordedAt { get; init; }
}
