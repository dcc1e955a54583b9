using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// A market regulator registered an organisation (or a new legal representative for one) whose legal representative
/// is listed personally, or represents an organisation that is listed: the offender may be setting up again. Also a
/// new organisation with the core name of an organisation with a listing in force and a legal representative of the
/// same name as that organisation's (relation <c>same-name-and-representative</c>): the listed business reappearing
/// under a new USCC. One event per listing found, addressed by the routing key to subscribers of that list type in
/// the new organisation's province. Exchange <c>hub.relocation-suspected</c>.
/// </summary>
[MessageUrn("hub:relocation-suspected:v1")]
[EntityName("hub.relocation-suspected")]
public sealed record RelocationSuspected
{
    /// <summary>Unique id of this event.</summary>
    public required string EventId { get; init; }

    /// <summary>The organisation just registered (or whose representative changed).</summary>
    public required string HubSubjectId { get; init; }

    /// <summary>Its name as registered.</summary>
    public required string OrganizationName { get; init; }

    /// <summary>Its province (two digits): where the alert goes.</summary>
    public required string Province { get; init; }

    /// <summary>The market regulator that registered it.</summary>
    public required string RegisteredBy { get; init; }

    /// <summary>The day of the registration.</summary>
    public required DateOnly RegisteredOn { get; init; }

    /// <summary>The legal representative: the Hub's id of the person.</summary>
    public required string PersonHubSubjectId { get; init; }

    /// <summary>How the registration is tied to the listing: <c>listed</c> (the representative personally),
    /// <c>legal-representative</c> (the representative is the one of the listed organisation
    /// <see cref="ListedHubSubjectId"/>), or <c>same-name-and-representative</c> (the new organisation has the listed
    /// organisation's core name and a representative of the same name as its current one; see <see cref="Evidence"/>).</summary>
    public required string Relation { get; init; }

    /// <summary>The subject the listing is about: the person, or the organisation they represent.</summary>
    public required string ListedHubSubjectId { get; init; }

    /// <summary>The listing found: its id, list type, basis, issuing agency, origin province and term.</summary>
    public required string ListingId { get; init; }

    /// <summary>List type of the listing found.</summary>
    public required string ListType { get; init; }

    /// <summary>Legal basis of the listing found.</summary>
    public required string LegalBasis { get; init; }

    /// <summary>Agency that issued the listing found.</summary>
    public required string OriginAgency { get; init; }

    /// <summary>Province of the listing found (two digits).</summary>
    public required string OriginProvince { get; init; }

    /// <summary>Whether the new organisation is in another province than the listing.</summary>
    public required bool CrossProvince { get; init; }

    /// <summary>How sure the Hub is of the tie: for <c>listed</c> and <c>legal-representative</c> that the
    /// representative is the listed person (1 when a whole ID number or the index's own record decided, the match score
    /// otherwise); for <c>same-name-and-representative</c> the score of the two organisations' names, representatives
    /// and regions, identifiers left aside (a new USCC differs by definition).</summary>
    public required double MatchScore { get; init; }

    /// <summary>The features that matched, each with the weight it added to <see cref="MatchScore"/> (negative:
    /// against). Absent from events of Hub versions before it.</summary>
    public IReadOnlyList<RelocationEvidence>? Evidence { get; init; }

    /// <summary>When the Hub recorded it (UTC).</summary>
    public required DateTimeOffset RecordedAt { get; init; }
}

/// <summary>One feature behind a <see cref="RelocationSuspected"/>: what matched, the weight it added, in words.</summary>
public sealed record RelocationEvidence
{
    /// <summary>The feature: <c>name</c> (the organisation's core name), <c>legal representative's name</c>,
    /// <c>province</c>, <c>representative</c> (how the representative was identified), …</summary>
    public required string Feature { get; init; }

    /// <summary>What it added to the score (negative: against).</summary>
    public required double Weight { get; init; }

    /// <summary>In words, e.g. <c>the same name, 皖东建设工程</c>. Never a person's name or ID number.</summary>
    public required string Detail { get; init; }
}
