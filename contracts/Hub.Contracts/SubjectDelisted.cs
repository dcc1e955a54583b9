using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// A listing of a subject ended: before its term (removed by its issuer, superseded by a correction, revoked on
/// correction or appeal, or repaired) or because its
/// term ran out (expired, ended by the Hub).
/// Exchange <c>hub.subject-delisted</c>.
/// </summary>
[MessageUrn("hub:subject-delisted:v1")]
[EntityName("hub.subject-delisted")]
public sealed record SubjectDelisted
{
    /// <summary>Unique id of this event.</summary>
    public required string EventId { get; init; }

    /// <summary>The Hub's stable id of the subject.</summary>
    public required string HubSubjectId { get; init; }

    /// <summary>The Hub's id of the listing that ended.</summary>
    public required string ListingId { get; init; }

    /// <summary>List type from the catalogue.</summary>
    public required string ListType { get; init; }

    /// <summary>Agency that issued the listing.</summary>
    public required string OriginAgency { get; init; }

    /// <summary>The listing's new status: <c>removed</c>, <c>superseded</c>, <c>expired</c>, <c>revoked</c> (annulled on correction or appeal: in force on no day) or <c>repaired</c> (credit repair granted).</summary>
    public required string Status { get; init; }

    /// <summary>Why, e.g. <c>Performed</c>, as the issuer stated it; <c>expired</c> when the Hub ended it at the end of its term.</summary>
    public required string Reason { get; init; }

    /// <summary>First day on which the subject is no longer listed.</summary>
    public required DateOnly EffectiveDate { get; init; }

    /// <summary>When the Hub recorded the end (UTC).</summary>
    public required DateTimeOffset RecordedAt { get; init; }
}
