using System.Globalization;
using System.Text.Json;
using Hub.Contracts;
using Hub.Domain.Identifiers;

namespace Hub.Adapters.Court;

/// <summary>The outcome of reading one notice: the event to publish, or why it cannot be read; warnings do not stop it.</summary>
public sealed record Mapped<T>(T? Message, string? Error, IReadOnlyList<string> Warnings) where T : class
{
    public static Mapped<T> Fail(string error) => new(null, error, []);
}

/// <summary>
/// Reads court notices into canonical events. It refuses only what it cannot read (missing fields, bad dates, an
/// unknown ground); identifier and catalogue checks are the aggregator's, which quarantines and tells the court, so
/// the Hub keeps everything a court sent. Identifier problems are still reported back at once as warnings.
/// </summary>
public sealed class CourtNoticeMapper(TimeProvider time)
{
    // Statutory grounds as courts word them (disruptTypeName) → catalogue code.
    private static readonly (string Phrase, string Code)[] Grounds =
    [
        ("有履行能力而拒不履行", "JD-1"),
        ("妨碍、抗拒执行", "JD-2"), ("伪造证据", "JD-2"), ("暴力、威胁", "JD-2"),
        ("规避执行", "JD-3"), ("虚假诉讼", "JD-3"), ("虚假仲裁", "JD-3"), ("隐匿、转移财产", "JD-3"),
        ("财产报告", "JD-4"),
        ("限制消费令", "JD-5"),
        ("执行和解协议", "JD-6"),
    ];

    public Mapped<JudgmentDefaulterListed> Map(CourtNotice n, string agencyCode)
    {
        var warnings = new List<string>();
        if (Blank(n.CaseCode)) return Mapped<JudgmentDefaulterListed>.Fail("caseCode is missing");
        if (Blank(n.Name)) return Mapped<JudgmentDefaulterListed>.Fail("iname is missing");
        if (Blank(n.CourtName)) return Mapped<JudgmentDefaulterListed>.Fail("courtName is missing");
        if (!TryKind(n.Type, out var kind)) return Mapped<JudgmentDefaulterListed>.Fail("type must be 0 (person) or 1 (organisation)");
        if (!TryDate(n.RegDate, out var regDate) || regDate is null) return Mapped<JudgmentDefaulterListed>.Fail("regDate is missing or not a date (yyyyMMdd or yyyy-MM-dd)");
        if (!TryDate(n.PublishDate, out var published)) return Mapped<JudgmentDefaulterListed>.Fail("publishDate is not a date (yyyyMMdd or yyyy-MM-dd)");
        if (!TryDate(n.ListedUntil, out var until)) return Mapped<JudgmentDefaulterListed>.Fail("listedUntil is not a date (yyyyMMdd or yyyy-MM-dd)");
        var basis = Basis(n.LegalBasis, n.DisruptTypeName);
        if (basis is null) return Mapped<JudgmentDefaulterListed>.Fail($"no statutory ground recognised in legalBasis/disruptTypeName '{n.LegalBasis ?? n.DisruptTypeName}'");
        if (!TryRevision(n.Revision, out var revision)) return Mapped<JudgmentDefaulterListed>.Fail("revision must be a whole number of 1 or more");
        decimal? unperformed = null;
        if (n.UnperformedPart is { } up && !TryDecimal(up, out unperformed)) return Mapped<JudgmentDefaulterListed>.Fail("unperformPart is not a number");

        var card = n.CardNumber?.Trim();
        SubjectReference subject;
        if (kind == SubjectKind.Organization)
        {
            var normalized = card is null ? "" : IdentifierText.Normalize(card).Replace("-", "", StringComparison.Ordinal);
            subject = normalized.Length == 9
                ? new SubjectReference { Kind = kind, Name = n.Name!.Trim(), OrganizationCode = card }
                : new SubjectReference { Kind = kind, Name = n.Name!.Trim(), Uscc = Blank(card) ? null : card };
            Warn(normalized.Length == 9 ? OrganizationCode.Check(card!) : Blank(card) ? null : Uscc.Check(card!), "cardNum");
        }
        else
        {
            subject = new SubjectReference { Kind = kind, Name = n.Name!.Trim(), ResidentIdNumber = Blank(card) ? null : card };
            Warn(Blank(card) ? null : ResidentIdNumber.Check(card!), "cardNum");
        }
        if (Blank(card)) warnings.Add("cardNum is missing: the Hub will refuse a listing it cannot tie to an identifier");

        SubjectReference? rep = null;
        if (kind == SubjectKind.Organization && !Blank(n.LegalRepresentative))
        {
            rep = new SubjectReference { Kind = SubjectKind.Person, Name = n.LegalRepresentative!.Trim(), ResidentIdNumber = Blank(n.LegalRepresentativeCardNumber) ? null : n.LegalRepresentativeCardNumber!.Trim() };
            Warn(Blank(n.LegalRepresentativeCardNumber) ? null : ResidentIdNumber.Check(n.LegalRepresentativeCardNumber!), "businessEntityCardNum");
        }

        // the name as it was normalised when this id was first made (separator dots kept): a notice sent again must keep
        // its source record id, or its revision would be taken for a new record
        var sourceId = Text(n.Id) ?? $"{n.CaseCode!.Trim()}|{NameNormalizer.Normalize(n.Name!, keepSeparators: true)}";
        return new Mapped<JudgmentDefaulterListed>(new JudgmentDefaulterListed
        {
            Source = new SourceStamp { AgencyCode = agencyCode, SourceRecordId = sourceId, Revision = revision, RecordedAt = time.GetUtcNow() },
            LegalBasis = basis,
            CaseNumber = n.CaseCode!.Trim(),
            EnforcingCourt = n.CourtName!.Trim(),
            BasisDocumentNumber = n.BasisDocumentNumber,
            BasisIssuingUnit = n.BasisIssuingUnit,
            Obligation = n.Obligation,
            UnperformedAmount = unperformed,
            PerformanceStatus = n.Performance,
            Subject = subject,
            LegalRepresentative = rep,
            DecisionDate = regDate.Value,
            PublishedOn = published,
            ListedUntil = until,
        }, null, warnings);

        void Warn(IdentifierCheck? check, string field)
        {
            if (check is { IsValid: false }) warnings.Add($"{field}: {check.Reason}; the Hub will quarantine this notice and answer with RecordRejected");
        }
    }

    public Mapped<JudgmentDefaulterRemoved> Map(CourtRemovalNotice n, string agencyCode)
    {
        var id = Text(n.Id);
        if (id is null) return Mapped<JudgmentDefaulterRemoved>.Fail("id (of this removal notice) is missing");
        var listing = Text(n.ListingId);
        if (listing is null) return Mapped<JudgmentDefaulterRemoved>.Fail("listingId is missing");
        var basis = Basis(n.LegalBasis, n.DisruptTypeName);
        if (basis is null) return Mapped<JudgmentDefaulterRemoved>.Fail("legalBasis (or disruptTypeName) of the removed listing is missing or unrecognised");
        if (!Enum.TryParse<RemovalReason>(n.Reason, ignoreCase: true, out var reason) || !Enum.IsDefined(reason))
            return Mapped<JudgmentDefaulterRemoved>.Fail($"reason must be one of {string.Join(", ", Enum.GetNames<RemovalReason>())}");
        if (!TryDate(n.EffectiveDate, out var effective) || effective is null) return Mapped<JudgmentDefaulterRemoved>.Fail("effectiveDate is missing or not a date");
        if (!TryRevision(n.Revision, out var revision)) return Mapped<JudgmentDefaulterRemoved>.Fail("revision must be a whole number of 1 or more");
        return new Mapped<JudgmentDefaulterRemoved>(new JudgmentDefaulterRemoved
        {
            Source = new SourceStamp { AgencyCode = agencyCode, SourceRecordId = id, Revision = revision, RecordedAt = time.GetUtcNow() },
            LegalBasis = basis, ListingSourceRecordId = listing, Reason = reason, EffectiveDate = effective.Value,
        }, null, []);
    }

    public Mapped<ListingDisputed> Map(CourtDisputeNotice n, string agencyCode)
    {
        var id = Text(n.Id);
        if (id is null) return Mapped<ListingDisputed>.Fail("id (of this dispute) is missing");
        var listing = Text(n.ListingId);
        if (listing is null) return Mapped<ListingDisputed>.Fail("listingId is missing");
        var basis = Basis(n.LegalBasis, n.DisruptTypeName);
        if (basis is null) return Mapped<ListingDisputed>.Fail("legalBasis (or disruptTypeName) of the disputed listing is missing or unrecognised");
        var kind = DisputeKind.CorrectionRequest;
        if (!Blank(n.Kind) && (!Enum.TryParse(n.Kind, ignoreCase: true, out kind) || !Enum.IsDefined(kind)))
            return Mapped<ListingDisputed>.Fail($"kind must be one of {string.Join(", ", Enum.GetNames<DisputeKind>())}");
        if (!TryDate(n.FiledOn, out var filed) || filed is null) return Mapped<ListingDisputed>.Fail("filedOn is missing or not a date");
        if (!TryRevision(n.Revision, out var revision)) return Mapped<ListingDisputed>.Fail("revision must be a whole number of 1 or more");
        return new Mapped<ListingDisputed>(new ListingDisputed
        {
            Source = new SourceStamp { AgencyCode = agencyCode, SourceRecordId = id, Revision = revision, RecordedAt = time.GetUtcNow() },
            LegalBasis = basis, ListingSourceRecordId = listing, Kind = kind, FiledOn = filed.Value,
        }, null, []);
    }

    public Mapped<DisputeResolved> Map(CourtDisputeDecision n, string agencyCode)
    {
        var id = Text(n.Id);
        if (id is null) return Mapped<DisputeResolved>.Fail("id (of this decision) is missing");
        var listing = Text(n.ListingId);
        if (listing is null) return Mapped<DisputeResolved>.Fail("listingId is missing");
        var dispute = Text(n.DisputeId);
        if (dispute is null) return Mapped<DisputeResolved>.Fail("disputeId is missing");
        var basis = Basis(n.LegalBasis, n.DisruptTypeName);
        if (basis is null) return Mapped<DisputeResolved>.Fail("legalBasis (or disruptTypeName) of the disputed listing is missing or unrecognised");
        if (!Enum.TryParse<DisputeOutcome>(n.Outcome, ignoreCase: true, out var outcome) || !Enum.IsDefined(outcome))
            return Mapped<DisputeResolved>.Fail($"outcome must be one of {string.Join(", ", Enum.GetNames<DisputeOutcome>())}");
        if (!TryDate(n.DecidedOn, out var decided) || decided is null) return Mapped<DisputeResolved>.Fail("decidedOn is missing or not a date");
        if (!TryRevision(n.Revision, out var revision)) return Mapped<DisputeResolved>.Fail("revision must be a whole number of 1 or more");
        return new Mapped<DisputeResolved>(new DisputeResolved
        {
            Source = new SourceStamp { AgencyCode = agencyCode, SourceRecordId = id, Revision = revision, RecordedAt = time.GetUtcNow() },
            LegalBasis = basis, ListingSourceRecordId = listing, DisputeSourceRecordId = dispute, Outcome = outcome, DecidedOn = decided.Value,
        }, null, []);
    }

    /// <summary>An explicit catalogue code wins; otherwise the ground named in the court's own words.</summary>
    public static string? Basis(string? legalBasis, string? disruptTypeName)
    {
        if (!Blank(legalBasis)) return legalBasis!.Trim().ToUpperInvariant();
        if (Blank(disruptTypeName)) return null;
        foreach (var (phrase, code) in Grounds)
            if (disruptTypeName!.Contains(phrase, StringComparison.Ordinal)) return code;
        return null;
    }

    private static bool Blank(string? s) => string.IsNullOrWhiteSpace(s);

    private static string? Text(JsonElement? e) => e switch
    {
        { ValueKind: JsonValueKind.String } s when !Blank(s.GetString()) => s.GetString()!.Trim(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        _ => null,
    };

    private static bool TryKind(JsonElement? e, out SubjectKind kind)
    {
        kind = SubjectKind.Person;
        switch (Text(e))
        {
            case "0": return true;
            case "1": kind = SubjectKind.Organization; return true;
            default: return false;
        }
    }

    private static bool TryRevision(JsonElement? e, out int revision)
    {
        revision = 1;
        var t = Text(e);
        return t is null || (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out revision) && revision >= 1);
    }

    private static bool TryDecimal(JsonElement e, out decimal? value)
    {
        value = null;
        var t = Text(e);
        if (t is null) return e.ValueKind is JsonValueKind.Null or JsonValueKind.String;
        if (!decimal.TryParse(t, NumberStyles.Number, CultureInfo.InvariantCulture, out var d)) return false;
        value = d;
        return true;
    }

    private static readonly string[] DateFormats = ["yyyyMMdd", "yyyy-MM-dd", "yyyy/MM/dd", "yyyy年MM月dd日", "yyyy年M月d日"];

    /// <summary>False only for a value that is there but is not a date; a missing value is null.</summary>
    private static bool TryDate(JsonElement? e, out DateOnly? date)
    {
        date = null;
        var t = Text(e);
        if (t is null) return e is null || e.Value.ValueKind is JsonValueKind.Null or JsonValueKind.String or JsonValueKind.Undefined;
        if (!DateOnly.TryParseExact(t, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return false;
        date = d;
        return true;
    }
}
