using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Aggregator.Outbox;
using Hub.Contracts;
using Hub.Domain.Catalogue;
using Hub.Domain.Intake;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hub.Storage.Tests;

/// <summary>Records as agencies send them, with identifiers that validate.</summary>
internal static class Samples
{
    public const string Court = "COURT-34-1122";
    public const string CompanyUscc = "9134112215678901XC";
    public const string CompanyOrgCode = "15678901X";
    public const string RepRic = "34112219780512361X";

    /// <summary>The fake clock's start in every fixture.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);

    /// <summary>The aggregator's apply step over <paramref name="db"/> with the shipped catalogue and agency list.</summary>
    public static RecordApplier Applier(IndexDatabase db, TimeProvider time, AggregatorMetrics metrics, AggregatorOptions? options = null) =>
        new(db, new RecordRules(LegalBasisCatalogue.Embedded(), AgencyRegistry.Embedded()), time, new OutboxSignal(), metrics,
            new BatchAuditSink(), NullLogger<RecordApplier>.Instance, options is null ? null : Microsoft.Extensions.Options.Options.Create(options));

    /// <summary>A message as the consumer hands it over, published by the agency its record names.</summary>
    public static Incoming In(object message, string? messageId = null, string? publisher = null)
    {
        var id = messageId ?? Guid.NewGuid().ToString("N");
        return new Incoming(id, message, publisher ?? new Incoming(id, message, null).Source?.AgencyCode);
    }

    public static JudgmentDefaulterListed Listed(string sourceId = "LA-1194", int revision = 1, string uscc = CompanyUscc,
        string? orgCode = null, string repName = "王建国", string? repRic = RepRic, string basis = "JD-4", DateOnly? decided = null) => new()
    {
        Source = new SourceStamp { AgencyCode = Court, SourceRecordId = sourceId, Revision = revision },
        LegalBasis = basis,
        CaseNumber = "(2026)皖1122执1194号",
        EnforcingCourt = "来安县人民法院",
        Subject = new SubjectReference { Kind = SubjectKind.Organization, Name = "安徽皖东建设工程有限公司", Uscc = uscc.Length == 0 ? null : uscc, OrganizationCode = orgCode },
        LegalRepresentative = new SubjectReference { Kind = SubjectKind.Person, Name = repName, ResidentIdNumber = repRic },
        DecisionDate = decided ?? new DateOnly(2026, 6, 11),
    };

    public static JudgmentDefaulterRemoved Removed(string listingSourceId = "LA-1194", string sourceId = "LA-1194-R") => new()
    {
        Source = new SourceStamp { AgencyCode = Court, SourceRecordId = sourceId },
        LegalBasis = "JD-4",
        ListingSourceRecordId = listingSourceId,
        Reason = RemovalReason.Performed,
        EffectiveDate = new DateOnly(2026, 9, 1),
    };

    public const string FoodBureau = "FOOD-35";

    /// <summary>A serious food-safety penalty of the company, imputed to its legal representative (36 months public).</summary>
    public static AdministrativePenaltyRecorded Penalty(string sourceId = "FOOD-2025-7", int revision = 1, DateOnly? decided = null) => new()
    {
        Source = new SourceStamp { AgencyCode = FoodBureau, SourceRecordId = sourceId, Revision = revision },
        LegalBasis = "FOOD-SERIOUS",
        DecisionNumber = "闽食监罚〔2025〕7号",
        Category = PenaltyCategory.FoodSafety,
        Severity = PenaltySeverity.Serious,
        Subject = new SubjectReference { Kind = SubjectKind.Organization, Name = "安徽皖东建设工程有限公司", Uscc = CompanyUscc },
        LegalRepresentative = new SubjectReference { Kind = SubjectKind.Person, Name = "王建国", ResidentIdNumber = RepRic },
        DecisionDate = decided ?? new DateOnly(2025, 3, 1),
    };

    public static ListingDisputed Disputed(string listingSourceId = "LA-1194", string sourceId = "LA-1194-D", DateOnly? filed = null,
        DisputeKind kind = DisputeKind.CorrectionRequest, string agency = Court, string basis = "JD-4") => new()
    {
        Source = new SourceStamp { AgencyCode = agency, SourceRecordId = sourceId },
        LegalBasis = basis,
        ListingSourceRecordId = listingSourceId,
        Kind = kind,
        FiledOn = filed ?? new DateOnly(2026, 11, 20),
    };

    public static DisputeResolved Resolved(DisputeOutcome outcome, string listingSourceId = "LA-1194", string disputeId = "LA-1194-D",
        string sourceId = "LA-1194-DR", DateOnly? decided = null, string agency = Court, string basis = "JD-4") => new()
    {
        Source = new SourceStamp { AgencyCode = agency, SourceRecordId = sourceId },
        LegalBasis = basis,
        ListingSourceRecordId = listingSourceId,
        DisputeSourceRecordId = disputeId,
        Outcome = outcome,
        DecidedOn = decided ?? new DateOnly(2026, 11, 25),
    };

    public static CreditRepairGranted Repaired(string listingSourceId = "FOOD-2025-7", string sourceId = "FOOD-2025-7-CR", DateOnly? effective = null,
        string agency = FoodBureau, string basis = "FOOD-SERIOUS") => new()
    {
        Source = new SourceStamp { AgencyCode = agency, SourceRecordId = sourceId },
        LegalBasis = basis,
        ListingSourceRecordId = listingSourceId,
        GrantedOn = effective ?? new DateOnly(2026, 11, 20),
        EffectiveDate = effective ?? new DateOnly(2026, 11, 20),
    };
}
