using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// A court put a debtor on the list of dishonest judgment defaulters. Published by court adapters;
/// consumed by the Hub's aggregator. Exchange <c>hub.judgment-defaulter-listed</c>.
/// </summary>
[MessageUrn("hub:judgment-defaulter-listed:v1")]
[EntityName("hub.judgment-defaulter-listed")]
public sealed record JudgmentDefaulterListed
{
    /// <summary>Who sent it: the court's agency code and its own record id and revision. Required.</summary>
    public required SourceStamp Source { get; init; }

    /// <summary>Legal-basis code from the Hub's catalogue: <c>JD-1</c> … <c>JD-6</c>, one per statutory ground. Required.</summary>
    public required string LegalBasis { get; init; }

    /// <summary>Enforcement case number, e.g. <c>(2019)皖1122执1194号</c>. Required.</summary>
    public required string CaseNumber { get; init; }

    /// <summary>Name of the enforcing court. Required.</summary>
    public required string EnforcingCourt { get; init; }

    /// <summary>Document number of the enforcement basis (judgment, award …); optional.</summary>
    public string? BasisDocumentNumber { get; init; }

    /// <summary>Unit that issued the enforcement basis; optional.</summary>
    public string? BasisIssuingUnit { get; init; }

    /// <summary>The obligation fixed by the effective legal document, as the court words it; optional.</summary>
    public string? Obligation { get; init; }

    /// <summary>Amount still unperformed, in yuan; optional.</summary>
    public decimal? UnperformedAmount { get; init; }

    /// <summary>Performance status as the court words it, e.g. "全部未履行" (entirely unperformed); optional.</summary>
    public string? PerformanceStatus { get; init; }

    /// <summary>The listed debtor. Required.</summary>
    public required SubjectReference Subject { get; init; }

    /// <summary>Legal representative or person in charge, for an organisation; the listing is imputed to them where the catalogue says so.</summary>
    public SubjectReference? LegalRepresentative { get; init; }

    /// <summary>Date of the listing decision (filing date). Required; terms count from it.</summary>
    public required DateOnly DecisionDate { get; init; }

    /// <summary>Date the court published the listing; optional.</summary>
    public DateOnly? PublishedOn { get; init; }

    /// <summary>Last day of the listing term when the court fixed one; missing means the catalogue's default term
    /// (for ground 1: until the obligation is performed).</summary>
    public DateOnly? ListedUntil { get; init; }
}
