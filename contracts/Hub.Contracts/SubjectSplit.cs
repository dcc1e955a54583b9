using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// A merge was wrong and was split: <see cref="RestoredHubSubjectId"/> is its own subject again, with the listings it
/// had when it was merged (<see cref="ListingIds"/>), no longer <see cref="FromHubSubjectId"/>'s. Exchange
/// <c>hub.subject-split</c>.
/// </summary>
[MessageUrn("hub:subject-split:v1")]
[EntityName("hub.subject-split")]
public sealed record SubjectSplit
{
    /// <summary>Unique id of this event.</summary>
    public required string EventId { get; init; }
    /// <summary>The hub id the restored subject had been merged into.</summary>
    public required string FromHubSubjectId { get; init; }
    /// <summary>The hub id that is its own subject again.</summary>
    public required string RestoredHubSubjectId { get; init; }
    /// <summary>The listings that are the restored subject's again.</summary>
    public required IReadOnlyList<string> ListingIds { get; init; }
    /// <summary>When the Hub recorded it (UTC).</summary>
    public required DateTimeOffset RecordedAt { get; init; }
}
