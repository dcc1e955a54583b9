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
    public static RecordApplier Applier(IndexDatabase db, TimeProvider time, AggregatorMetrics metrics) =>
        new(db, new RecordRules(LegalBasisCatalogue.Embedded(), AgencyRegistry.Embedded()), time, new OutboxSignal(), metrics,
            new BatchAuditSink(), NullLogger<RecordApplier>.Instance);

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
}
