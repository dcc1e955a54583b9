using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// Two hub ids turned out to be one subject: <see cref="MergedHubSubjectId"/> now resolves to
/// <see cref="SurvivingHubSubjectId"/>, whose listings include the merged one's (<see cref="ListingIds"/>). A subscriber
/// holding the merged id should re-key to the surviving one. Exchange <c>hub.subjects-merged</c>.
/// </summary>
[MessageUrn("hub:subjects-merged:v1")]
[EntityName("hub.subjects-merged")]
public sealed record SubjectsMerged
{
    /// <summary>Unique id of this event.</summary>
    public required string EventId { get; init; }
    /// <summary>The hub id that stays.</summary>
    public required string SurvivingHubSubjectId { get; init; }
    /// <summary>The hub id merged away; it resolves to the surviving one from now on.</summary>
    public required string MergedHubSubjectId { get; init; }
    /// <summary>The listings that were the merged subject's and are now the surviving one's.</summary>
    public required IReadOnlyList<string> ListingIds { get; init; }
    /// <summary><c>review</c> (an operator's judgement of a review pair) or <c>operator</c>.</summary>
    public required string Reason { get; init; }
    /// <summary>When the Hub recorded it (UTC).</summary>
    public required DateTimeOffset RecordedAt { get; init; }
}
