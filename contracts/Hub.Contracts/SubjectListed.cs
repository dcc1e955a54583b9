using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// The Hub put a subject on a list. Published to subscribing bureaus from the Hub's outbox after the
/// change is committed. Exchange <c>hub.subject-listed</c>. Person ID numbers are masked.
/// </summary>
[MessageUrn("hub:subject-listed:v1")]
[EntityName("hub.subject-listed")]
public sealed record SubjectListed
{
    /// <summary>Unique id of this event; a subscriber that sees it twice can drop the second.</summary>
    public required string EventId { get; init; }

    /// <summary>The Hub's stable id of the listed subject.</summary>
    public required string HubSubjectId { get; init; }

    /// <summary>Organisation or person.</summary>
    public required SubjectKind SubjectKind { get; init; }

    /// <summary>The subject's name as first recorded.</summary>
    public required string DisplayName { get; init; }

    /// <summary>The subject's strongest identifier: USCC for organisations, the masked ID number for persons; may be missing.</summary>
    public string? Identifier { get; init; }

    /// <summary>The Hub's id of the listing.</summary>
    public required string ListingId { get; init; }

    /// <summary>List type from the catalogue, e.g. <c>judgment-defaulter</c>.</summary>
    public required string ListType { get; init; }

    /// <summary>Legal-basis code from the catalogue.</summary>
    public required string LegalBasis { get; init; }

    /// <summary>Version of the legal-basis catalogue the Hub applied.</summary>
    public required string CatalogueVersion { get; init; }

    /// <summary>Agency that issued the listing.</summary>
    public required string OriginAgency { get; init; }

    /// <summary>Two-digit province code of the issuing agency.</summary>
    public required string OriginProvince { get; init; }

    /// <summary>First day of the listing.</summary>
    public required DateOnly ValidFrom { get; init; }

    /// <summary>Last day of the listing; missing means until the obligation is performed.</summary>
    public DateOnly? ValidUntil { get; init; }

    /// <summary>When the listing is imputed (e.g. to a legal representative): the listing of the organisation it derives from.</summary>
    public string? ImputedFromListingId { get; init; }

    /// <summary>When imputed: the subject's role in the organisation, e.g. <c>legal-representative</c>.</summary>
    public string? ImputedRole { get; init; }

    /// <summary>When the Hub recorded the listing (UTC).</summary>
    public required DateTimeOffset RecordedAt { get; init; }
}
