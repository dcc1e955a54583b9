using Hub.Contracts;
using Hub.Domain.Catalogue;
using Hub.Domain.Intake;

namespace Hub.Domain.Tests.Intake;

public sealed class RecordRulesTests
{
    private static readonly RecordRules Rules = new(LegalBasisCatalogue.Embedded(), AgencyRegistry.Embedded());

    internal static JudgmentDefaulterListed Notice(string basis = "JD-4", string agency = "COURT-34-1122", string uscc = "9134112215678901XC",
        DateOnly? until = null, SubjectReference? subject = null) => new()
    {
        Source = new SourceStamp { AgencyCode = agency, SourceRecordId = "LA-1", Revision = 1 },
        LegalBasis = basis,
        CaseNumber = "(2026)皖1122执1194号",
        EnforcingCourt = "来安县人民法院",
        Subject = subject ?? new SubjectReference { Kind = SubjectKind.Organization, Name = "安徽皖东建设工程有限公司", Uscc = uscc },
        LegalRepresentative = new SubjectReference { Kind = SubjectKind.Person, Name = "王建国", ResidentIdNumber = "34112219780512361X" },
        DecisionDate = new DateOnly(2026, 6, 11),
        ListedUntil = until,
    };

    [Test]
    public void Catalogue_ShipsTheSixGroundsAndTheBureauLists()
    {
        var codes = LegalBasisCatalogue.Embedded().Bases.Select(b => b.Code).ToList();
        Assert.That(codes, Is.SupersetOf(new[] { "JD-1", "JD-2", "JD-3", "JD-4", "JD-5", "JD-6", "FOOD-SERIOUS", "WAGE-ARREARS", "ENV-SERIOUS" }));
    }

    [Test]
    public void Catalogue_WithADuplicateCode_DoesNotLoad()
    {
        const string json = """{ "version": "x", "bases": [ { "code": "A", "recordKinds": [], "title": "t", "citation": "c", "issuerKinds": [] }, { "code": "a", "recordKinds": [], "title": "t", "citation": "c", "issuerKinds": [] } ] }""";
        Assert.That(() => LegalBasisCatalogue.Load(json), Throws.TypeOf<InvalidDataException>().With.Message.Contains("twice"));
    }

    [Test]
    public void Catalogue_that_accepts_credit_repair_without_its_rule_does_not_load()
    {
        const string json = """{ "version": "x", "bases": [ { "code": "A", "recordKinds": ["CreditRepairGranted"], "title": "t", "citation": "c", "issuerKinds": [] } ] }""";
        Assert.That(() => LegalBasisCatalogue.Load(json), Throws.TypeOf<InvalidDataException>().With.Message.Contains("no creditRepair rule"));
    }

    [Test]
    public void Catalogue_allows_repair_of_the_serious_penalty_lists_and_of_no_judgment_defaulter_ground()
    {
        var bases = LegalBasisCatalogue.Embedded().Bases.ToList();
        Assert.That(bases.Where(b => b.ListType == "judgment-defaulter").Select(b => b.CreditRepair), Is.All.Null);
        Assert.That(bases.Where(b => b.Code is "FOOD-SERIOUS" or "WAGE-ARREARS" or "ENV-SERIOUS").Select(b => b.CreditRepair?.MinPublicityMonths), Is.All.EqualTo(12));
        Assert.That(bases.Where(b => b.ListType == "judgment-defaulter").Select(b => b.DisputeReviewDays), Is.All.EqualTo(15));
    }

    private static CreditRepairGranted Repair(string basis, string agency, DateOnly granted, DateOnly effective) => new()
    {
        Source = new SourceStamp { AgencyCode = agency, SourceRecordId = "CR-1" },
        LegalBasis = basis, ListingSourceRecordId = "L-1", GrantedOn = granted, EffectiveDate = effective,
    };

    [Test]
    public void Credit_repair_of_a_judgment_defaulter_ground_is_refused_whoever_sends_it()
    {
        foreach (var agency in new[] { "COURT-34-1122", "FOOD-35" })
        {
            var r = Rules.Check(Repair("JD-1", agency, new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 1))).Rejection;
            Assert.That(r?.Code, Is.EqualTo("repair-not-allowed"), agency);
        }
    }

    [Test]
    public void Credit_repair_effective_before_it_was_granted_is_refused()
    {
        var r = Rules.Check(Repair("FOOD-SERIOUS", "FOOD-35", new DateOnly(2026, 11, 2), new DateOnly(2026, 11, 1))).Rejection;
        Assert.That((r?.Code, r?.Reason), Is.EqualTo(("invalid-date", "effectiveDate 2026-11-01 is before grantedOn 2026-11-02")));
    }

    [Test]
    public void Credit_repair_by_a_bureau_of_another_kind_is_refused_as_not_competent()
    {
        var r = Rules.Check(Repair("FOOD-SERIOUS", "LABOUR-32", new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 1))).Rejection;
        Assert.That(r?.Code, Is.EqualTo("not-competent"));
    }

    [Test]
    public void A_dispute_needs_the_listing_it_disputes_and_the_day_it_was_filed()
    {
        var dispute = new ListingDisputed
        {
            Source = new SourceStamp { AgencyCode = "COURT-34-1122", SourceRecordId = "D-1" }, LegalBasis = "JD-4",
            ListingSourceRecordId = " ", Kind = DisputeKind.CorrectionRequest, FiledOn = new DateOnly(2026, 11, 1),
        };
        Assert.That(Rules.Check(dispute).Rejection?.Reason, Is.EqualTo("listingSourceRecordId is missing"));
        Assert.That(Rules.Check(dispute with { ListingSourceRecordId = "L-1", FiledOn = default }).Rejection?.Reason, Is.EqualTo("filedOn is missing"));
        Assert.That(Rules.Check(dispute with { ListingSourceRecordId = "L-1" }).Value?.ListingSourceRecordId, Is.EqualTo("L-1"));
    }

    [Test]
    public void A_decision_needs_the_dispute_it_decides()
    {
        var decision = new DisputeResolved
        {
            Source = new SourceStamp { AgencyCode = "COURT-34-1122", SourceRecordId = "D-1-R" }, LegalBasis = "JD-4",
            ListingSourceRecordId = "L-1", DisputeSourceRecordId = "", Outcome = DisputeOutcome.Upheld, DecidedOn = new DateOnly(2026, 11, 1),
        };
        Assert.That(Rules.Check(decision).Rejection?.Reason, Is.EqualTo("disputeSourceRecordId is missing"));
        Assert.That(Rules.Check(decision with { DisputeSourceRecordId = "D-1", Outcome = (DisputeOutcome)9 }).Rejection?.Reason,
            Is.EqualTo("outcome 9 is not a dispute outcome"));
    }

    [Test]
    public void A_valid_court_notice_gets_the_default_two_year_term()
    {
        var d = Rules.Check(Notice());
        Assert.That(d.Rejection, Is.Null);
        Assert.That(d.Value!.ValidUntil, Is.EqualTo(new DateOnly(2028, 6, 10)));
        Assert.That(d.Value.Subject.Keys.Select(k => k.Scheme), Is.EqualTo(new[] { "uscc", "org-code" }));
        Assert.That(d.Value.Subject.CoreName, Is.EqualTo("皖东建设工程"));
        Assert.That(d.Value.LegalRepresentative!.Keys.Select(k => (k.Scheme, k.Strong)),
            Is.EqualTo(new[] { ("ric", true), ("ric-masked", false), ("name-birth", false) }), "the whole number, its public masked form, name and birth date");
        Assert.That(d.Value.LegalRepresentative.Keys[2].Value, Is.EqualTo("王建国|1978-05-12"));
    }

    [Test]
    public void Ground_one_lasts_until_the_obligation_is_performed()
    {
        Assert.That(Rules.Check(Notice(basis: "JD-1")).Value!.ValidUntil, Is.Null);
    }

    [TestCase("COURT-99-0000", "unknown-agency", "agency 'COURT-99-0000' is not registered")]
    [TestCase("FOOD-35", "not-competent", "FOOD-35 (food-safety) may not issue JD-4")]
    public void An_agency_outside_its_competence_is_refused(string agency, string code, string reason)
    {
        var r = Rules.Check(Notice(agency: agency)).Rejection;
        Assert.That(r?.Code, Is.EqualTo(code));
        Assert.That(r?.Reason, Does.Contain(reason));
    }

    [Test]
    public void A_basis_outside_the_catalogue_is_refused_citing_its_version()
    {
        var r = Rules.Check(Notice(basis: "ONLINE-COMMENTS")).Rejection;
        Assert.That(r?.Code, Is.EqualTo(Rejection.UnknownBasis));
        Assert.That(r?.Reason, Does.Contain("not in catalogue 2026.2"));
    }

    [Test]
    public void A_wrong_check_character_is_refused_without_echoing_the_number()
    {
        var r = Rules.Check(Notice(uscc: "9134112215678901XD")).Rejection;
        Assert.That(r?.Code, Is.EqualTo(Rejection.InvalidIdentifier));
        Assert.That(r?.Reason, Is.EqualTo("subject.uscc: check character is 'D', expected 'C'"));
    }

    [Test]
    public void A_term_beyond_the_catalogue_maximum_is_refused()
    {
        var r = Rules.Check(Notice(until: new DateOnly(2032, 1, 1))).Rejection;
        Assert.That(r?.Code, Is.EqualTo(Rejection.InvalidTerm));
        Assert.That(r?.Reason, Does.Contain("maximum of 60 months"));
    }

    [Test]
    public void Minors_are_not_listed_as_judgment_defaulters()
    {
        // born 2010-01-01, decision 2026-06-11: sixteen
        var number = "34112220100101123" + Hub.Domain.Identifiers.ResidentIdNumber.CheckCharacter("34112220100101123");
        var child = new SubjectReference { Kind = SubjectKind.Person, Name = "张某", ResidentIdNumber = number };
        Assert.That(Rules.Check(Notice(subject: child)).Rejection?.Code, Is.EqualTo(Rejection.Minor));
    }

    [Test]
    public void An_organisation_without_any_identifier_is_refused()
    {
        var r = Rules.Check(Notice(subject: new SubjectReference { Kind = SubjectKind.Organization, Name = "某公司" })).Rejection;
        Assert.That(r?.Code, Is.EqualTo(Rejection.MissingIdentifier));
    }

    [Test]
    public void A_penalty_must_match_the_category_and_severity_of_its_basis()
    {
        var penalty = new AdministrativePenaltyRecorded
        {
            Source = new SourceStamp { AgencyCode = "FOOD-35", SourceRecordId = "F-1" },
            LegalBasis = "FOOD-SERIOUS", DecisionNumber = "闽食药监罚〔2026〕12号", Category = PenaltyCategory.FoodSafety,
            Severity = PenaltySeverity.Ordinary,
            Subject = new SubjectReference { Kind = SubjectKind.Organization, Name = "福州某食品有限公司", Uscc = "91350100M000100Y43" },
            DecisionDate = new DateOnly(2026, 3, 1),
        };
        Assert.That(Rules.Check(penalty).Rejection?.Code, Is.EqualTo(Rejection.WrongRecordKind));
        var serious = Rules.Check(penalty with { Severity = PenaltySeverity.Serious });
        Assert.That(serious.Rejection, Is.Null);
        Assert.That(serious.Value!.ValidUntil, Is.EqualTo(new DateOnly(2029, 2, 28)));
    }

    // date arithmetic on the edge of the calendar threw, and an exception in the rules fails the aggregator's whole batch
    [TestCase("0001-01-01", "missing-field", "decisionDate is missing")]
    [TestCase("9999-12-31", "invalid-date", "decisionDate 9999-12-31 is outside 1950-01-01 to 2199-12-31")]
    [TestCase("1900-05-01", "invalid-date", "decisionDate 1900-05-01 is outside 1950-01-01 to 2199-12-31")]
    public void A_decision_date_that_cannot_be_one_is_refused_not_thrown(string date, string code, string reason)
    {
        var notice = Notice() with { DecisionDate = DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture) };

        Assert.That(Rules.Check(notice).Rejection, Is.EqualTo(new Rejection(code, reason)));
    }

    [Test]
    public void A_birth_date_at_the_end_of_the_calendar_is_refused_not_thrown()
    {
        var person = new SubjectReference { Kind = SubjectKind.Person, Name = "张三", ResidentIdNumber = "34112219780512361X", BirthDate = DateOnly.MaxValue };
        var notice = Notice(basis: "JD-1", subject: person) with { LegalRepresentative = null };

        Assert.That(Rules.Check(notice).Rejection, Is.EqualTo(new Rejection("invalid-date", "subject.birthDate 9999-12-31 is after the decisionDate 2026-06-11")));
    }

    [Test]
    public void A_listed_until_at_the_end_of_the_calendar_is_refused_not_thrown()
    {
        var notice = Notice(until: DateOnly.MaxValue);

        Assert.That(Rules.Check(notice).Rejection?.Code, Is.EqualTo(Rejection.InvalidTerm));
    }
}
