using Hub.Contracts;
using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Domain.Identifiers;
using Hub.Domain.Lifecycle;
using Hub.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>
/// Checks before granting, per dialect, on a fake clock: listings applied by the aggregator's own apply step, read by
/// the check's set-based read and judged by <see cref="ListingClock.StateOn"/> and the shipped joint-sanctions catalogue —
/// each measure, derived listings of a legal representative, a term that ran out or has not begun, a removed listing,
/// and a batch of 1,000 keys answered in order across the read's chunks.
/// </summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class SubjectCheckTests<TTarget> : IndexFixture<TTarget> where TTarget : IIndexTarget, new()
{
    private const string JdCompanyName = "安徽皖东建设工程有限公司";
    private static readonly string FoodUscc = TestIdentifiers.Uscc(7001);
    private static readonly string FoodRepRic = Ric("35010219800101123");
    private static readonly string WageUscc = TestIdentifiers.Uscc(7002);

    private static readonly JointSanctionsCatalogue Sanctions =
        JointSanctionsCatalogue.Embedded(LegalBasisCatalogue.Embedded(), AccessPolicy.Embedded(AgencyRegistry.Embedded()).AgencyKinds);

    private SubjectChecks Checks => new(Db, Sanctions);

    private DateOnly Today => new ListingClock(Time).Today;

    private static string Ric(string first17) => first17 + ResidentIdNumber.CheckCharacter(first17);

    private static SubjectKey ByUscc(string uscc) => new(SubjectKey.Uscc, uscc);
    private static SubjectKey ByRic(string ric) => new(SubjectKey.Ric, ric);

    private async Task Apply(params object[] records) => await ApplyStep.ApplyAsync(records.Select(r => In(r)).ToList(), CancellationToken.None);

    private static AdministrativePenaltyRecorded Penalty(string agency, string sourceId, string basis, PenaltyCategory category, string uscc,
        string name, string? repRic = null) => new()
    {
        Source = new SourceStamp { AgencyCode = agency, SourceRecordId = sourceId },
        LegalBasis = basis,
        DecisionNumber = $"{agency}-罚-{sourceId}",
        Category = category,
        Severity = PenaltySeverity.Serious,
        Subject = new SubjectReference { Kind = SubjectKind.Organization, Name = name, Uscc = uscc },
        LegalRepresentative = repRic is null ? null : new SubjectReference { Kind = SubjectKind.Person, Name = "林食安", ResidentIdNumber = repRic },
        DecisionDate = new DateOnly(2026, 5, 20),
    };

    /// <summary>A court's listing of a company with its legal representative (imputed), a food-safety bureau's serious
    /// penalty of another company with its representative, and a labour bureau's wage-arrears listing of a third.</summary>
    private async Task ListEveryKind()
    {
        await Apply(Listed(),
            Penalty("FOOD-35", "FOOD-1", "FOOD-SERIOUS", PenaltyCategory.FoodSafety, FoodUscc, "福州某食品有限公司", FoodRepRic),
            Penalty("LABOUR-32", "WAGE-1", "WAGE-ARREARS", PenaltyCategory.Labour, WageUscc, "苏州某建筑劳务有限公司"));
    }

    private async Task<SubjectCheckResult> Check(SubjectKey key, string measure, DateOnly? day = null) =>
        (await Checks.CheckAsync([key], measure, day ?? Today, CancellationToken.None)).Single();

    // measure, who (jd-company, jd-rep, food-company, food-rep, wage-company), the rule that restricts (null: allowed), derived
    [TestCase("procurement-exclusion", "jd-company", "JS-JD-PROCUREMENT", false)]
    [TestCase("procurement-exclusion", "jd-rep", null, false, Description = "the procurement rule reaches the listed company only")]
    [TestCase("procurement-exclusion", "food-company", "JS-FOOD-PROCUREMENT", false)]
    [TestCase("consumption-restriction", "jd-rep", "JS-JD-CONSUMPTION", true)]
    [TestCase("consumption-restriction", "wage-company", "JS-WAGE-CONSUMPTION", false)]
    [TestCase("serving-as-legal-representative", "jd-rep", "JS-JD-LEGALREP", true)]
    [TestCase("serving-as-legal-representative", "food-rep", "JS-FOOD-LEGALREP", true)]
    [TestCase("food-production-licence", "food-company", "JS-FOOD-LICENCE", false)]
    [TestCase("food-production-licence", "food-rep", "JS-FOOD-LICENCE", true)]
    [TestCase("food-production-licence", "jd-company", null, false, Description = "a judgment-defaulter listing does not bar a food licence")]
    [TestCase("market-access-restriction", "food-company", "JS-FOOD-MARKET", false)]
    [TestCase("public-funding-exclusion", "wage-company", "JS-WAGE-FUNDING", false)]
    [TestCase("public-funding-exclusion", "jd-company", null, false)]
    [TestCase("credit-restriction", "jd-company", "JS-JD-CREDIT", false)]
    public async Task Each_measure_restricts_by_the_rule_linking_the_subjects_list_to_it(string measure, string who, string? rule, bool derived)
    {
        await ListEveryKind();
        var key = who switch
        {
            "jd-company" => ByUscc(CompanyUscc),
            "jd-rep" => ByRic(RepRic),
            "food-company" => ByUscc(FoodUscc),
            "food-rep" => ByRic(FoodRepRic),
            _ => ByUscc(WageUscc),
        };
        var result = await Check(key, measure);
        Assert.That(result.Subject, Is.Not.Null, "the index knows every subject here");
        Assert.That(result.Reasons.Select(r => (r.Rule.Id, r.Derived)), Is.EqualTo(rule is null ? Array.Empty<(string, bool)>() : new[] { (rule, derived) }));
        Assert.That(result.Restricted, Is.EqualTo(rule is not null));
        foreach (var r in result.Reasons)
        {
            Assert.That(r.Rule.Measure, Is.EqualTo(measure));
            Assert.That(r.Listing.ListType, Is.EqualTo(r.Rule.ListType));
            Assert.That(r.Listing.CatalogueVersion, Is.EqualTo(LegalBasisCatalogue.Embedded().Version));
        }
    }

    [Test]
    public async Task A_representative_of_a_listed_company_is_restricted_by_the_derived_listing_which_names_the_company()
    {
        await Apply(Listed());
        var company = await Check(ByUscc(CompanyUscc), "serving-as-legal-representative");
        var rep = await Check(ByRic(RepRic), "serving-as-legal-representative");

        Assert.That(rep.Subject!.Kind, Is.EqualTo("Person"));
        var reason = rep.Reasons.Single();
        Assert.That(reason.Derived, Is.True);
        Assert.That(reason.Listing.ImputedRole, Is.EqualTo("legal-representative"));
        Assert.That(reason.Listing.ParentListingId, Is.EqualTo(company.Reasons.Single().Listing.ListingId), "imputed from the company's own listing");
        Assert.That((reason.Listing.ParentSubjectId, reason.Listing.ParentSubjectName), Is.EqualTo((company.Subject!.Id, JdCompanyName)));
        Assert.That(company.Reasons.Single().Derived, Is.False);
    }

    [Test]
    public async Task A_term_that_ran_out_no_longer_restricts_from_midnight_in_Beijing()
    {
        // JD-4 lists for 24 months: decided 27 November 2024, in force through 26 November 2026; the clock is at
        // 26 November 08:00 UTC, 16:00 in Beijing
        await Apply(Listed(decided: new DateOnly(2024, 11, 27)));
        Assert.That((await Check(ByUscc(CompanyUscc), "procurement-exclusion")).Restricted, Is.True, "the last day of the term");

        Time.SetUtcNow(new DateTimeOffset(2026, 11, 26, 15, 59, 59, TimeSpan.Zero));
        Assert.That((await Check(ByUscc(CompanyUscc), "procurement-exclusion")).Restricted, Is.True, "23:59:59 in Beijing");
        Time.SetUtcNow(new DateTimeOffset(2026, 11, 26, 16, 0, 0, TimeSpan.Zero));
        var expired = await Check(ByUscc(CompanyUscc), "procurement-exclusion");
        Assert.That(expired.Subject, Is.Not.Null);
        Assert.That(expired.Restricted, Is.False, "midnight in Beijing: the term ran out (the sweep has not stored it)");
        Assert.That((await Check(ByRic(RepRic), "consumption-restriction")).Restricted, Is.False, "the derived listing ends with it");
        Assert.That((await Check(ByUscc(CompanyUscc), "procurement-exclusion", new DateOnly(2026, 11, 26))).Restricted, Is.True,
            "asked about the last day of the term");
    }

    [Test]
    public async Task A_listing_whose_term_has_not_begun_does_not_restrict_until_it_does()
    {
        await Apply(Listed(decided: new DateOnly(2026, 12, 15)));
        Assert.That((await Check(ByUscc(CompanyUscc), "procurement-exclusion")).Restricted, Is.False, "today, 26 November");
        Assert.That((await Check(ByUscc(CompanyUscc), "procurement-exclusion", new DateOnly(2026, 12, 14))).Restricted, Is.False);
        Assert.That((await Check(ByUscc(CompanyUscc), "procurement-exclusion", new DateOnly(2026, 12, 15))).Restricted, Is.True);
        Time.SetUtcNow(new DateTimeOffset(2026, 12, 14, 16, 0, 0, TimeSpan.Zero)); // 15 December in Beijing
        Assert.That((await Check(ByUscc(CompanyUscc), "procurement-exclusion")).Restricted, Is.True);
    }

    [Test]
    public async Task A_removed_listing_no_longer_restricts_nor_does_the_one_imputed_from_it()
    {
        await Apply(Listed());
        Assert.That((await Check(ByUscc(CompanyUscc), "procurement-exclusion")).Restricted, Is.True);
        await Apply(Removed());
        var company = await Check(ByUscc(CompanyUscc), "procurement-exclusion");
        Assert.That(company.Subject, Is.Not.Null);
        Assert.That(company.Restricted, Is.False, "removed effective 1 September");
        Assert.That((await Check(ByRic(RepRic), "consumption-restriction")).Restricted, Is.False);
    }

    [Test]
    public async Task A_subject_the_index_does_not_know_is_no_error_and_restricted_by_nothing()
    {
        await Apply(Listed());
        var unknown = await Check(ByUscc(TestIdentifiers.Uscc(7999)), "procurement-exclusion");
        Assert.That((unknown.Subject, unknown.Restricted), Is.EqualTo(((CheckedSubject?)null, false)));
        var noHubId = await Check(new SubjectKey(SubjectKey.HubId, Guid.NewGuid().ToString("N")), "procurement-exclusion");
        Assert.That(noHubId.Subject, Is.Null);
    }

    [Test]
    public async Task A_USCC_finds_a_company_the_index_knows_only_by_the_organisation_code_in_it()
    {
        var uscc = TestIdentifiers.Uscc(7003);
        await Apply(Listed(sourceId: "OLD-1", uscc: "", orgCode: Uscc.EmbeddedOrganizationCode(uscc), repRic: null));
        var result = await Check(ByUscc(uscc), "procurement-exclusion");
        Assert.That(result.Subject, Is.Not.Null);
        Assert.That(result.Reasons.Select(r => r.Listing.Reference), Is.EqualTo(new[] { "(2026)皖1122执1194号" }));
    }

    [Test]
    public async Task A_batch_of_1000_is_answered_in_order_across_the_reads_chunks()
    {
        await ListEveryKind();
        var foodHubId = (await Check(ByUscc(FoodUscc), "procurement-exclusion")).Subject!.Id;
        var keys = Enumerable.Range(0, 1_000).Select(i => ByUscc(TestIdentifiers.Uscc(100_000 + i))).ToArray();
        // known subjects spread over the read's chunks (a USCC is two values: itself and its organisation code), by each
        // kind of key, one asked twice
        keys[0] = ByUscc(CompanyUscc);
        keys[249] = ByRic(RepRic);
        keys[250] = ByUscc(FoodUscc);
        keys[998] = new SubjectKey(SubjectKey.HubId, foodHubId);
        keys[999] = ByUscc(CompanyUscc);
        Assert.That(keys.Length * 2, Is.GreaterThan(2 * IndexDatabase.CheckKeysPerStatement), "the read takes several statements");

        var results = await Checks.CheckAsync(keys, "procurement-exclusion", Today, CancellationToken.None);

        Assert.That(results.Select(r => r.Key), Is.EqualTo(keys), "one answer per key, in order");
        var known = results.Select((r, i) => (r, i)).Where(x => x.r.Subject is not null).Select(x => (x.i, x.r.Restricted)).ToList();
        Assert.That(known, Is.EqualTo(new[]
        {
            (0, true), (249, false), (250, true), (998, true), (999, true),
        }), "the representative is not excluded from procurement: that rule does not reach derived listings");
        Assert.That(results[998].Subject!.Id, Is.EqualTo(results[250].Subject!.Id), "by hub id and by USCC: one company");
        Assert.That(results[0].Reasons.Single().Rule.Id, Is.EqualTo("JS-JD-PROCUREMENT"), "one reason, not one per identifier of the company");
    }
}
