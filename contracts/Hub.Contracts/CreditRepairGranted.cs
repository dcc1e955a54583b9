using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// The issuer (or the credit platform acting for it) granted credit repair: the subject corrected its conduct, and the
/// publicity of an administrative-penalty listing ends before its term. Only where the catalogue allows repair for the
/// listing's basis, and not before its minimum publicity period; never for a judgment-defaulter listing.
/// Exchange <c>hub.credit-repair-granted</c>.
/// </summary>
[MessageUrn("hub:credit-repair-granted:v1")]
[EntityName("hub.credit-repair-granted")]
public sealed record CreditRepairGranted
{
    /// <summary>Who sent it. <see cref="SourceStamp.SourceRecordId"/> is this decision's own id. Required.</summary>
    public required SourceStamp Source { get; init; }

    /// <summary>Legal-basis code of the repaired listing. Required.</summary>
    public required string LegalBasis { get; init; }

    /// <summary>The <see cref="SourceStamp.SourceRecordId"/> under which the same agency sent the listing. Required.</summary>
    public required string ListingSourceRecordId { get; init; }

    /// <summary>The day repair was granted. Required.</summary>
    public required DateOnly GrantedOn { get; init; }

    /// <summary>First day on which the listing is no longer public; not before <see cref="GrantedOn"/>. Required.</summary>
    public required DateOnly EffectiveDate { get; init; }
}
