using Hub.Contracts;
using Hub.Domain.Catalogue;

namespace Hub.Domain.Intake;

/// <summary>
/// The rules every inbound record passes before it touches the index: a registered agency, a catalogued basis
/// that agency is competent for and that fits the record, valid identifiers, a lawful term. Pure: no I/O.
/// </summary>
public sealed class RecordRules(LegalBasisCatalogue catalogue, AgencyRegistry agencies)
{
    /// <summary>Dates a record may carry. Beyond them a date is a typing or export error — and term arithmetic on the
    /// edge of the calendar would throw, failing the aggregator's whole batch instead of refusing one record.</summary>
    public static readonly DateOnly EarliestDate = new(1950, 1, 1), LatestDate = new(2199, 12, 31);

    public LegalBasisCatalogue Catalogue => catalogue;

    public AgencyRegistry Agencies => agencies;

    public Decision<ListingIntent> Check(JudgmentDefaulterListed m)
    {
        var kind = nameof(JudgmentDefaulterListed);
        var origin = Origin(kind, m.Source, m.LegalBasis);
        if (origin.Rejection is not null) return origin.Rejection;
        var (agency, basis) = origin.Value!;
        if (string.IsNullOrWhiteSpace(m.CaseNumber)) return Missing("caseNumber");
        if (string.IsNullOrWhiteSpace(m.EnforcingCourt)) return Missing("enforcingCourt");
        return Listing(kind, m.Source, agency, basis, m.CaseNumber.Trim(), m.Subject, m.LegalRepresentative,
            m.DecisionDate, m.ListedUntil);
    }

    public Decision<ListingIntent> Check(AdministrativePenaltyRecorded m)
    {
        var kind = nameof(AdministrativePenaltyRecorded);
        var origin = Origin(kind, m.Source, m.LegalBasis);
        if (origin.Rejection is not null) return origin.Rejection;
        var (agency, basis) = origin.Value!;
        if (string.IsNullOrWhiteSpace(m.DecisionNumber)) return Missing("decisionNumber");
        if (basis.Category is { } cat && !string.Equals(cat, m.Category.ToString(), StringComparison.OrdinalIgnoreCase))
            return new Rejection(Rejection.WrongRecordKind, $"legal basis {basis.Code} is for {cat} penalties, the record says {m.Category}");
        if (basis.Severity is { } sev && !string.Equals(sev, m.Severity.ToString(), StringComparison.OrdinalIgnoreCase))
            return new Rejection(Rejection.WrongRecordKind, $"legal basis {basis.Code} lists {sev} violations only, the record says {m.Severity}");
        return Listing(kind, m.Source, agency, basis, m.DecisionNumber.Trim(), m.Subject, m.LegalRepresentative,
            m.DecisionDate, m.PublicUntil);
    }

    public Decision<RemovalIntent> Check(JudgmentDefaulterRemoved m)
    {
        var kind = nameof(JudgmentDefaulterRemoved);
        var origin = Origin(kind, m.Source, m.LegalBasis);
        if (origin.Rejection is not null) return origin.Rejection;
        var (agency, basis) = origin.Value!;
        if (string.IsNullOrWhiteSpace(m.ListingSourceRecordId)) return Missing("listingSourceRecordId");
        if (!Enum.IsDefined(m.Reason)) return new Rejection(Rejection.MissingField, $"reason {(int)m.Reason} is not a removal reason");
        if (DateProblem("effectiveDate", m.EffectiveDate) is { } badDate) return badDate;
        return new RemovalIntent(kind, m.Source, agency, basis, m.ListingSourceRecordId.Trim(), m.Reason.ToString(), m.EffectiveDate);
    }

    public Decision<DisputeIntent> Check(ListingDisputed m)
    {
        var kind = nameof(ListingDisputed);
        var origin = Origin(kind, m.Source, m.LegalBasis);
        if (origin.Rejection is not null) return origin.Rejection;
        var (agency, basis) = origin.Value!;
        if (string.IsNullOrWhiteSpace(m.ListingSourceRecordId)) return Missing("listingSourceRecordId");
        if (!Enum.IsDefined(m.Kind)) return new Rejection(Rejection.MissingField, $"kind {(int)m.Kind} is not a dispute kind");
        if (DateProblem("filedOn", m.FiledOn) is { } badDate) return badDate;
        return new DisputeIntent(kind, m.Source, agency, basis, m.ListingSourceRecordId.Trim(), m.Kind, m.FiledOn);
    }

    public Decision<ResolutionIntent> Check(DisputeResolved m)
    {
        var kind = nameof(DisputeResolved);
        var origin = Origin(kind, m.Source, m.LegalBasis);
        if (origin.Rejection is not null) return origin.Rejection;
        var (agency, basis) = origin.Value!;
        if (string.IsNullOrWhiteSpace(m.ListingSourceRecordId)) return Missing("listingSourceRecordId");
        if (string.IsNullOrWhiteSpace(m.DisputeSourceRecordId)) return Missing("disputeSourceRecordId");
        if (!Enum.IsDefined(m.Outcome)) return new Rejection(Rejection.MissingField, $"outcome {(int)m.Outcome} is not a dispute outcome");
        if (DateProblem("decidedOn", m.DecidedOn) is { } badDate) return badDate;
        return new ResolutionIntent(kind, m.Source, agency, basis, m.ListingSourceRecordId.Trim(), m.DisputeSourceRecordId.Trim(), m.Outcome, m.DecidedOn);
    }

    /// <summary>Credit repair only where the catalogue allows it for the basis: a judgment-defaulter listing is never
    /// shortened by repair, whoever asks.</summary>
    public Decision<RepairIntent> Check(CreditRepairGranted m)
    {
        var kind = nameof(CreditRepairGranted);
        if (catalogue.Find(m.LegalBasis) is { CreditRepair: null } noRepair)
            return new Rejection(Rejection.RepairNotAllowed, noRepair.ListType == "judgment-defaulter"
                ? $"legal basis {noRepair.Code} allows no credit repair: a judgment-defaulter listing ends by its court's removal or at the end of its term"
                : $"legal basis {noRepair.Code} allows no credit repair (catalogue {catalogue.Version})");
        var origin = Origin(kind, m.Source, m.LegalBasis);
        if (origin.Rejection is not null) return origin.Rejection;
        var (agency, basis) = origin.Value!;
        if (string.IsNullOrWhiteSpace(m.ListingSourceRecordId)) return Missing("listingSourceRecordId");
        if (DateProblem("grantedOn", m.GrantedOn) is { } badGranted) return badGranted;
        if (DateProblem("effectiveDate", m.EffectiveDate) is { } badEffective) return badEffective;
        if (m.EffectiveDate < m.GrantedOn)
            return new Rejection(Rejection.InvalidDate, $"effectiveDate {m.EffectiveDate:yyyy-MM-dd} is before grantedOn {m.GrantedOn:yyyy-MM-dd}");
        return new RepairIntent(kind, m.Source, agency, basis, m.ListingSourceRecordId.Trim(), m.GrantedOn, m.EffectiveDate);
    }

    public Decision<RegistrationIntent> Check(OrganizationRegistered m)
    {
        var kind = nameof(OrganizationRegistered);
        var origin = Origin(kind, m.Source, m.LegalBasis);
        if (origin.Rejection is not null) return origin.Rejection;
        var (agency, basis) = origin.Value!;
        if (DateProblem("registeredOn", m.RegisteredOn) is { } badDate) return badDate;
        if (m.Organization?.Kind != SubjectKind.Organization) return new Rejection(Rejection.MissingField, "organization must be of kind Organization");
        var org = SubjectKeys.From(m.Organization, "organization", identifierRequired: true);
        if (org.Rejection is not null) return org.Rejection;
        if (m.LegalRepresentative?.Kind != SubjectKind.Person) return new Rejection(Rejection.MissingField, "legalRepresentative must be of kind Person");
        var rep = SubjectKeys.From(m.LegalRepresentative, "legalRepresentative", identifierRequired: false);
        if (rep.Rejection is not null) return rep.Rejection;
        return new RegistrationIntent(kind, m.Source, agency, basis, org.Value!, rep.Value!, m.RegisteredOn);
    }

    private Decision<ListingIntent> Listing(string kind, SourceStamp source, Agency agency, LegalBasis basis, string reference,
        SubjectReference? subjectRef, SubjectReference? repRef, DateOnly decisionDate, DateOnly? until)
    {
        if (basis.ListType is null)
            return new Rejection(Rejection.WrongRecordKind, $"legal basis {basis.Code} does not put anyone on a list");
        if (DateProblem("decisionDate", decisionDate) is { } badDate) return badDate;
        // a person's only key in public court data may be a masked number; organisations need a strong one
        var subject = SubjectKeys.From(subjectRef, "subject", identifierRequired: true);
        if (subject.Rejection is not null) return subject.Rejection;
        SubjectKeys? rep = null;
        if (repRef is not null)
        {
            if (repRef.Kind != SubjectKind.Person) return new Rejection(Rejection.MissingField, "legalRepresentative must be of kind Person");
            var r = SubjectKeys.From(repRef, "legalRepresentative", identifierRequired: false);
            if (r.Rejection is not null) return r.Rejection;
            rep = r.Value;
        }
        if (subject.Value!.BirthDate is { } birth && birth > decisionDate)
            return new Rejection(Rejection.InvalidDate, $"subject.birthDate {birth:yyyy-MM-dd} is after the decisionDate {decisionDate:yyyy-MM-dd}");
        if (basis.MinorsExcluded && subject.Value!.BirthDate is { } born && born.AddYears(18) > decisionDate)
            return new Rejection(Rejection.Minor, $"legal basis {basis.Code} excludes minors; the subject was under 18 on {decisionDate:yyyy-MM-dd}");

        DateOnly? validUntil;
        if (until is { } u)
        {
            if (u < decisionDate)
                return new Rejection(Rejection.InvalidTerm, $"the term ends ({u:yyyy-MM-dd}) before the decision date ({decisionDate:yyyy-MM-dd})");
            if (basis.MaxTermMonths is { } max && u > decisionDate.AddMonths(max))
                return new Rejection(Rejection.InvalidTerm, $"the term ends {u:yyyy-MM-dd}, beyond the maximum of {max} months that {basis.Code} allows");
            validUntil = u;
        }
        else validUntil = basis.UntilPerformed || basis.DefaultTermMonths is null
            ? null
            : decisionDate.AddMonths(basis.DefaultTermMonths.Value).AddDays(-1);

        return new ListingIntent(kind, source, agency, basis, reference, subject.Value!, rep, decisionDate, validUntil);
    }

    private static Rejection? DateProblem(string field, DateOnly date) =>
        date == default ? Missing(field)
        : date < EarliestDate || date > LatestDate
            ? new Rejection(Rejection.InvalidDate, $"{field} {date:yyyy-MM-dd} is outside {EarliestDate:yyyy-MM-dd} to {LatestDate:yyyy-MM-dd}")
            : null;

    private Decision<Origin> Origin(string kind, SourceStamp? source, string? basisCode)
    {
        if (source is null || string.IsNullOrWhiteSpace(source.AgencyCode)) return Missing("source.agencyCode");
        if (string.IsNullOrWhiteSpace(source.SourceRecordId)) return Missing("source.sourceRecordId");
        if (source.Revision < 1) return new Rejection(Rejection.MissingField, $"source.revision must be 1 or more, not {source.Revision}");
        var agency = agencies.Find(source.AgencyCode);
        if (agency is null)
            return new Rejection(Rejection.UnknownAgency, $"agency '{source.AgencyCode}' is not registered with the Hub");
        if (string.IsNullOrWhiteSpace(basisCode)) return Missing("legalBasis");
        var basis = catalogue.Find(basisCode);
        if (basis is null)
            return new Rejection(Rejection.UnknownBasis, $"legal basis '{basisCode}' is not in catalogue {catalogue.Version}");
        if (!basis.IssuerKinds.Contains(agency.Kind, StringComparer.OrdinalIgnoreCase))
            return new Rejection(Rejection.NotCompetent,
                $"agency {agency.Code} ({agency.Kind}) may not issue {basis.Code}; issuers: {string.Join(", ", basis.IssuerKinds)}");
        if (!basis.RecordKinds.Contains(kind, StringComparer.Ordinal))
            return new Rejection(Rejection.WrongRecordKind, $"legal basis {basis.Code} does not apply to {kind}");
        return new Origin(agency, basis);
    }

    private static Rejection Missing(string field) => new(Rejection.MissingField, $"{field} is missing");
}

public sealed record Origin(Agency Agency, LegalBasis Basis);
