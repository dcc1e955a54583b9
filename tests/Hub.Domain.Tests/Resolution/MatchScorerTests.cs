using Hub.Domain.Identifiers;
using Hub.Domain.Resolution;

namespace Hub.Domain.Tests.Resolution;

public sealed class MatchScorerTests
{
    [TestCase("安徽皖东建设工程有限公司", "皖东建设工程")]
    [TestCase("安徽省滁州市皖东建设工程（滁州）有限责任公司", "皖东建设工程")]
    [TestCase("滁州市皖东建设工程股份有限公司", "皖东建设工程")]
    [TestCase("皖东 建设工程【滁州】有限公司", "皖东建设工程")]
    [TestCase("广西壮族自治区南宁市桂风食品有限公司", "桂风食品")]
    [TestCase("上海市浦东新区海韵贸易有限公司", "海韵贸易")]
    [TestCase("Ｗａｎｄｏｎｇ Construction Co., Ltd.", "WANDONGCONSTRUCTION")]
    [TestCase("Wandong Construction Company Limited", "WANDONGCONSTRUCTION")]
    [TestCase("有限公司", "有限")]
    public void The_core_name_takes_away_how_agencies_write_it(string name, string core) =>
        Assert.That(OrganizationNames.Core(name), Is.EqualTo(core));

    private static string Ric(string birth, string sequence = "361")
    {
        var first17 = "341122" + birth + sequence;
        return first17 + ResidentIdNumber.CheckCharacter(first17);
    }

    [Test]
    public void A_masked_number_and_the_same_name_link()
    {
        var whole = Ric("19780512");
        var s = MatchScorer.Score(new PersonFacts("王建国", FullNumber: whole), new PersonFacts("王建国", MaskedNumber: ResidentIdNumber.MaskNumber(whole)));
        Assert.That(s.Decision, Is.EqualTo(MatchDecision.Link));
        Assert.That(s.Evidence.Select(e => e.Feature), Is.EquivalentTo(new[] { "name", "masked ID number", "region" }));
    }

    [Test]
    public void Name_birth_date_and_region_are_only_worth_a_review_never_a_link()
    {
        var s = MatchScorer.Score(new PersonFacts("张伟", BirthDate: new DateOnly(1978, 5, 12), Region: "341122"),
            new PersonFacts("张伟", BirthDate: new DateOnly(1978, 5, 12), Region: "341122"));
        Assert.That((s.Decision, s.Score), Is.EqualTo((MatchDecision.Review, 0.75)).Within(1e-9));
    }

    [Test]
    public void Different_whole_numbers_are_different_people_whatever_else_agrees()
    {
        var s = MatchScorer.Score(new PersonFacts("张伟", FullNumber: Ric("19780512", "361")), new PersonFacts("张伟", FullNumber: Ric("19780512", "475")));
        Assert.That((s.Decision, s.Score), Is.EqualTo((MatchDecision.Distinct, 0.0)));
    }

    [Test]
    public void The_name_alone_is_nothing()
    {
        Assert.That(MatchScorer.Score(new PersonFacts("张伟"), new PersonFacts("张伟")).Decision, Is.EqualTo(MatchDecision.Distinct));
        Assert.That(MatchScorer.Score(new PersonFacts("张伟", BirthDate: new DateOnly(1978, 5, 12)), new PersonFacts("张伟", BirthDate: new DateOnly(1979, 5, 12))).Score,
            Is.Zero);
    }

    [Test]
    public void Organisations_with_the_same_core_name_and_representative_link_and_with_the_same_province_are_reviewed()
    {
        var a = new OrganizationFacts("安徽皖东建设工程有限公司", Region: "341122", RepresentativeId: "p-1");
        var sameRep = new OrganizationFacts("滁州市皖东建设工程有限责任公司", Region: "341100", RepresentativeId: "p-1");
        var otherRep = new OrganizationFacts("皖东建设工程有限公司", Region: "340100", RepresentativeId: "p-2");
        var province = new OrganizationFacts("皖东建设工程有限公司", Region: "34");
        Assert.That(MatchScorer.Score(a, sameRep).Decision, Is.EqualTo(MatchDecision.Link));
        Assert.That(MatchScorer.Score(a, province).Decision, Is.EqualTo(MatchDecision.Review));
        Assert.That(MatchScorer.Score(a, otherRep).Decision, Is.EqualTo(MatchDecision.Distinct), "another representative counts against");
        Assert.That(MatchScorer.Score(a with { Uscc = "91341122MA2N0K1X2P" }, province with { Uscc = "91341100MA2N0K1X2P" }).Score, Is.Zero);
    }

    [Test]
    public void A_representative_known_only_by_name_is_weaker_evidence_than_one_known_by_identity_and_another_name_counts_against()
    {
        var listed = new OrganizationFacts("安徽皖东建设工程有限公司", Region: "34", RepresentativeName: "王建国");
        var again = new OrganizationFacts("皖东建设工程（杭州）有限公司", Region: "33", RepresentativeName: "王建国");
        var s = MatchScorer.Score(listed, again);
        Assert.That(s.Evidence.Select(e => (e.Feature, e.Weight)), Is.EqualTo(new[] { ("name", 0.55), ("legal representative's name", 0.25), ("province", -0.05) }));
        Assert.That(s.Evidence.Any(e => e.Detail.Contains("王建国", StringComparison.Ordinal)), Is.False, "a person's name is not repeated in the evidence");
        Assert.That(MatchScorer.Score(listed, again with { RepresentativeName = "李明" }).Score, Is.EqualTo(0.3).Within(1e-9));
        Assert.That(MatchScorer.Score(listed with { RepresentativeId = "p-1" }, again with { RepresentativeId = "p-1" }).Evidence.Select(e => e.Feature),
            Does.Contain("legal representative").And.Not.Contain("legal representative's name"), "an identity, when both sides have one, decides over the name");
    }

    private static readonly DateOnly Born = new(1978, 5, 12);

    [Test]
    public void Name_and_birth_date_with_the_same_building_or_mobile_number_link_and_the_evidence_says_so()
    {
        var a = new PersonFacts("张伟", BirthDate: Born, Address: "安徽省滁州市城关区人民路12号", Phone: "13812345678");
        var building = MatchScorer.Score(a, new PersonFacts("张伟", BirthDate: Born, Address: "滁州市城关区人民路１２号3栋1单元402室"));
        Assert.That((building.Decision, building.Score), Is.EqualTo((MatchDecision.Link, 0.9)));
        Assert.That(building.Evidence.Select(e => (e.Feature, e.Weight)), Is.EqualTo(new[] { ("name", 0.45), ("birth date", 0.2), ("address", 0.25) }));
        var mobile = MatchScorer.Score(a, new PersonFacts("张伟", BirthDate: Born, Phone: "+86 138 1234 5678"));
        Assert.That((mobile.Decision, mobile.Evidence[^1].Detail), Is.EqualTo((MatchDecision.Link, "the same mobile number")));
        Assert.That(MatchScorer.Score(a with { Phone = "0550-12345678" }, new PersonFacts("张伟", BirthDate: Born, Phone: "(0550)12345678")).Decision,
            Is.EqualTo(MatchDecision.Review), "a landline is a household's: with name and birth date only a review");
        Assert.That(MatchScorer.Score(a, new PersonFacts("张伟", Address: "安徽省滁州市城关区人民路12号", Phone: "138-1234-5678")).Decision,
            Is.EqualTo(MatchDecision.Link), "building and mobile number together, no birth date");
    }

    [Test]
    public void Name_with_an_address_or_a_phone_alone_is_only_worth_a_review()
    {
        var a = new PersonFacts("张伟", Address: "安徽省滁州市城关区人民路12号");
        Assert.That(MatchScorer.Score(a, a with { Region = "341102" }).Decision, Is.EqualTo(MatchDecision.Review));
        Assert.That(MatchScorer.Score(new PersonFacts("张伟", Phone: "13812345678"), new PersonFacts("张伟", Phone: "13812345678")).Decision,
            Is.EqualTo(MatchDecision.Review));
    }

    [Test]
    public void Two_people_of_one_common_name_at_one_address_with_different_birth_dates_are_never_linked()
    {
        var address = "安徽省滁州市城关区人民路12号";
        var s = MatchScorer.Score(new PersonFacts("张伟", BirthDate: Born, Address: address, Phone: "055012345678"),
            new PersonFacts("张伟", BirthDate: Born.AddYears(-26), Address: address, Phone: "055012345678"));
        Assert.That((s.Decision, s.Score), Is.EqualTo((MatchDecision.Distinct, 0.0)), "a father and son of one household: the birth dates decide");
    }

    [Test]
    public void The_same_name_and_birth_date_at_a_shared_address_link_as_one_person()
    {
        // a collective household or dormitory is shared by many, but two different people there with the same name AND
        // the same birth date do not occur in practice (twins are named apart): the address settles what name and birth
        // date leave open. Without the birth date the same pair is only reviewed (above).
        var dormitory = "江苏省苏州市工业园区星湖街328号";
        Assert.That(MatchScorer.Score(new PersonFacts("王芳", BirthDate: Born, Address: dormitory), new PersonFacts("王芳", BirthDate: Born, Address: dormitory + "7栋")).Decision,
            Is.EqualTo(MatchDecision.Link));
    }

    [Test]
    public void Organisations_with_the_core_name_the_province_and_the_address_or_phone_link_but_not_across_two_cities()
    {
        var listed = new OrganizationFacts("安徽皖东建设工程有限公司", Region: "34", Address: "安徽省滁州市城关区人民路88号", Phone: "0550-3012345");
        var noId = new OrganizationFacts("滁州市皖东建设工程有限责任公司", Region: "341102", Address: "滁州市城关区人民路88号12楼");
        Assert.That(MatchScorer.Score(listed, noId).Evidence.Select(e => e.Feature), Is.EqualTo(new[] { "name", "province", "address" }));
        Assert.That(MatchScorer.Score(listed, noId).Decision, Is.EqualTo(MatchDecision.Link));
        Assert.That(MatchScorer.Score(listed with { Region = null }, noId with { Region = null, Phone = "05503012345" }).Decision, Is.EqualTo(MatchDecision.Link),
            "address and phone together, no region");
        Assert.That(MatchScorer.Score(listed with { Region = null }, noId with { Region = null }).Decision, Is.EqualTo(MatchDecision.Review), "the address alone");

        // a sister company of the same trade name registered in another city of the province, in the same building
        var sister = new OrganizationFacts("合肥市皖东建设工程有限公司", Uscc: TestUscc("340104"), Address: "安徽省滁州市城关区人民路88号", Phone: "0550-3012345");
        var s = MatchScorer.Score(noId with { Phone = "0550-3012345" }, sister);
        Assert.That((s.Decision, s.Score), Is.EqualTo((MatchDecision.Review, 0.75)),
            "the USCC places it in 3401, the row in 3411: different registration authorities — building and switchboard make it a review, never a link");
        Assert.That(s.Evidence.Select(e => e.Feature), Does.Contain("city"));
    }

    private static string Ric(string region, string birth, string sequence)
    {
        var first17 = region + birth + sequence;
        return first17 + ResidentIdNumber.CheckCharacter(first17);
    }

    [Test]
    public void Rows_of_one_organisation_without_identifiers_link_by_core_name_and_the_representative_known_by_whole_or_masked_number()
    {
        var wang = Ric("341122", "19780512", "361");
        var whole = new OrganizationFacts("安徽皖东建设工程有限公司", RepresentativeName: "王建国", RepresentativeNumber: wang);
        var masked = new OrganizationFacts("皖东建设工程有限责任公司", RepresentativeName: "王建国", RepresentativeNumber: ResidentIdNumber.MaskNumber(wang));

        var s = MatchScorer.Score(whole, masked);
        Assert.That((s.Decision, s.Score), Is.EqualTo((MatchDecision.Link, 0.9)));
        Assert.That(s.Evidence.Select(e => (e.Feature, e.Weight, e.Detail)), Does.Contain(("legal representative", 0.35,
            "the same legal representative (the same masked ID number and name)")));
        Assert.That(MatchScorer.Score(whole, whole with { Name = "滁州市皖东建设工程有限公司" }).Evidence[^1].Detail,
            Is.EqualTo("the same legal representative (the same whole ID number)"));
        Assert.That(s.Evidence.Any(e => e.Detail.Contains("王建国", StringComparison.Ordinal) || e.Detail.Contains(wang[10..14], StringComparison.Ordinal)), Is.False,
            "neither the representative's name nor number is repeated in the evidence");
        Assert.That(MatchScorer.Score(whole with { RepresentativeNumber = null }, masked).Decision, Is.EqualTo(MatchDecision.Review),
            "the name alone on one side is a representative of the same name (0.25): a review without the province");
        Assert.That(MatchScorer.Score(whole with { RepresentativeName = null }, masked).Evidence.Select(e => e.Feature), Is.EqualTo(new[] { "name" }),
            "a number without a name is no representative");
    }

    [Test]
    public void Sister_companies_with_the_same_representative_in_two_cities_are_not_linked()
    {
        var wang = Ric("341122", "19780512", "361");
        var chuzhou = new OrganizationFacts("滁州市皖东建设工程有限公司", Region: "341122", RepresentativeName: "王建国", RepresentativeNumber: wang);
        var hefei = new OrganizationFacts("合肥市皖东建设工程有限公司", Region: "340104", RepresentativeName: "王建国", RepresentativeNumber: wang);

        var s = MatchScorer.Score(chuzhou, hefei);
        Assert.That((s.Decision, s.Score), Is.EqualTo((MatchDecision.Review, 0.6)), "core name 0.55 + representative 0.35 − two cities 0.3");
        Assert.That(MatchScorer.Score(chuzhou with { Address = "安徽省滁州市城关区人民路88号" }, hefei with { Address = "滁州市城关区人民路88号" }).Decision,
            Is.EqualTo(MatchDecision.Review), "and in one building");
    }

    [Test]
    public void A_namesake_representative_does_not_link_different_organisations()
    {
        var zhangA = Ric("340104", "19800101", "475");
        var zhangB = Ric("340104", "19800101", "613");
        var a = new OrganizationFacts("安徽华信建设工程有限公司", Region: "34", RepresentativeName: "张伟", RepresentativeNumber: zhangA);
        var b = new OrganizationFacts("华信建设工程有限公司", Region: "34", RepresentativeName: "张伟", RepresentativeNumber: ResidentIdNumber.MaskNumber(zhangB));

        var s = MatchScorer.Score(a, b);
        Assert.That((s.Decision, s.Score), Is.EqualTo((MatchDecision.Distinct, 0.45)),
            "the same name, another masked number: another person, which counts against");
        Assert.That(s.Evidence.Single(e => e.Feature == "legal representative").Weight, Is.EqualTo(-0.2));
        Assert.That(MatchScorer.Score(a, b with { RepresentativeNumber = zhangB }).Score, Is.EqualTo(0.45).Within(1e-9), "different whole numbers");
        Assert.That(MatchScorer.Score(a, new OrganizationFacts("华信科技有限公司", Region: "34", RepresentativeName: "张伟", RepresentativeNumber: zhangA)).Score,
            Is.Zero, "the same representative of another company: a different core name is never linked");
    }

    private static readonly DateOnly Wang = new(1978, 5, 12);

    /// <summary>王建国's whole number (341122, born 1978-05-12, sequence 361) and its masked form.</summary>
    private static readonly string WangWhole = Ric("19780512");

    private static readonly string WangMasked = ResidentIdNumber.MaskNumber(WangWhole);

    /// <summary>A date of the birth year that makes no whole number with <paramref name="masked"/> (its check
    /// character does not fit), as a typo of the birth date would be.</summary>
    private static DateOnly DateNotFitting(string masked, DateOnly near)
    {
        for (var d = near.AddDays(1); ; d = d.AddDays(1))
            if (!ResidentIdNumber.FitsBirthDate(masked, d)) return d;
    }

    [Test]
    public void A_masked_number_and_a_birth_date_make_the_whole_number_check_character_included()
    {
        Assert.That(ResidentIdNumber.FitsBirthDate(WangMasked, Wang), Is.True);
        Assert.That(ResidentIdNumber.FitsBirthDate(WangMasked, DateNotFitting(WangMasked, Wang)), Is.False);
        Assert.That(ResidentIdNumber.FitsBirthDate(WangMasked, Wang.AddYears(1)), Is.False, "another birth year than the masked number's");
        Assert.That(new PersonFacts("王建国", FullNumber: WangWhole).NumberFitsBirthDate, Is.True);
        Assert.That(new PersonFacts("王建国", MaskedNumber: WangMasked).NumberFitsBirthDate, Is.Null, "no birth date: nothing to tell");
    }

    [Test]
    public void A_name_with_one_character_mistyped_links_only_with_the_same_masked_number_and_birth_date()
    {
        var typed = new PersonFacts("王建华", MaskedNumber: WangMasked, BirthDate: Wang);
        var s = MatchScorer.Score(new PersonFacts("王建国", MaskedNumber: WangMasked, BirthDate: Wang), typed);
        Assert.That(s.Decision, Is.EqualTo(MatchDecision.Link));
        Assert.That(s.Evidence.Select(e => (e.Feature, e.Weight)), Is.EqualTo(new[] { ("name", 0.2), ("masked ID number", 0.5), ("birth date", 0.2), ("region", 0.1) }));
        Assert.That(s.Evidence[0].Detail, Does.Contain("differs in one character"));
        Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), typed with { Region = "340100" }).Score, Is.EqualTo(0.95).Within(1e-9),
            "the whole number on one side: its masked form and birth date");
        Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), typed with { Region = "110101" }).Decision, Is.EqualTo(MatchDecision.Review),
            "0.9 and another province: a review");

        Assert.Multiple(() =>
        {
            Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), typed with { BirthDate = null }).Score, Is.Zero,
                "without the birth date on both sides: another name");
            Assert.That(MatchScorer.Score(new PersonFacts("汪建国", FullNumber: WangWhole), typed with { NormalizedName = "王建国" }).Score, Is.Zero,
                "a different surname is another person's name");
            Assert.That(MatchScorer.Score(new PersonFacts("王健华", FullNumber: WangWhole), typed with { NormalizedName = "王建国" }).Score, Is.Zero,
                "two characters");
            Assert.That(MatchScorer.Score(new PersonFacts("王建", FullNumber: WangWhole), typed with { NormalizedName = "王建国" }).Score, Is.Zero,
                "a character fewer");
            Assert.That(MatchScorer.Score(new PersonFacts("王建国", BirthDate: Wang, Region: "341122", Address: "安徽省滁州市城关区人民路12号"),
                new PersonFacts("王建华", BirthDate: Wang, Region: "341122", Address: "安徽省滁州市城关区人民路12号")).Score, Is.Zero,
                "name, birth date, region and building without the number: another name");
            Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), new PersonFacts("王建华", FullNumber: Ric("19780512", "517"))).Score,
                Is.Zero, "different whole numbers");
            var notFitting = DateNotFitting(WangMasked, Wang);
            Assert.That(MatchScorer.Score(new PersonFacts("王建国", MaskedNumber: WangMasked, BirthDate: notFitting), typed with { BirthDate = notFitting }).Score,
                Is.Zero, "a masked number and birth date that make no whole number pin no one down");
        });

        // twins: one birth date, one county, names a character apart — and two sequence numbers, two masked numbers
        var twin = Ric("19780512", "363");
        Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole),
            new PersonFacts("王建华", MaskedNumber: ResidentIdNumber.MaskNumber(twin), BirthDate: Wang)).Score, Is.Zero);
    }

    [Test]
    public void A_birth_date_that_makes_no_whole_number_with_the_masked_number_is_a_typo_and_counts_nothing()
    {
        var typo = DateNotFitting(WangMasked, Wang);
        var s = MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), new PersonFacts("王建国", MaskedNumber: WangMasked, BirthDate: typo));
        Assert.That((s.Decision, s.Score), Is.EqualTo((MatchDecision.Link, 0.99)));
        Assert.That(s.Evidence.Single(e => e.Feature == "birth date").Weight, Is.Zero);
        Assert.That(MatchScorer.Score(new PersonFacts("王建国", MaskedNumber: WangMasked, BirthDate: DateNotFitting(WangMasked, typo)),
            new PersonFacts("王建国", MaskedNumber: WangMasked, BirthDate: typo)).Decision, Is.EqualTo(MatchDecision.Link),
            "neither birth date fits: the masked number and the name, as without them");

        // a namesake with the same masked number, born another day: both birth dates make whole numbers, two people
        var namesake = Wang.AddDays(1);
        while (!ResidentIdNumber.FitsBirthDate(WangMasked, namesake)) namesake = namesake.AddDays(1);
        Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), new PersonFacts("王建国", MaskedNumber: WangMasked, BirthDate: namesake)).Score,
            Is.Zero);
        Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), new PersonFacts("王建华", MaskedNumber: WangMasked, BirthDate: typo)).Score,
            Is.Zero, "a mistyped birth date and a name a character apart: two typos are too many");
    }

    [Test]
    public void Masked_numbers_one_character_apart_link_with_the_same_name_and_birth_date_where_the_check_shows_which_is_mistyped()
    {
        var typo = WangMasked[..15] + (WangMasked[15] == '7' ? '8' : '7') + WangMasked[16..];   // a sequence digit
        var s = MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), new PersonFacts("王建国", MaskedNumber: typo, BirthDate: Wang));
        Assert.That(s.Decision, Is.EqualTo(MatchDecision.Link));
        Assert.That(s.Evidence.Select(e => (e.Feature, e.Weight)), Is.EqualTo(new[] { ("name", 0.45), ("masked ID number", 0.25), ("birth date", 0.2), ("region", 0.1) }));
        Assert.That(s.Evidence[1].Detail, Does.Contain("one character apart"));
        Assert.Multiple(() =>
        {
            Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), new PersonFacts("王建国", MaskedNumber: typo)).Score, Is.Zero,
                "without the birth date nothing tells which of the two numbers is wrong");
            Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), new PersonFacts("王建华", MaskedNumber: typo, BirthDate: Wang)).Score,
                Is.Zero, "another name");
            var twoApart = typo[..16] + (typo[16] == '1' ? '2' : '1');
            Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole), new PersonFacts("王建国", MaskedNumber: twoApart, BirthDate: Wang)).Score,
                Is.Zero, "two characters apart");
        });

        // the masked form of a whole number that failed its check: where it differs, it tells nothing either way
        var building = "安徽省滁州市城关区人民路12号";
        var mistyped = new PersonFacts("王建国", MaskedNumber: typo, Address: building) { NumberMistyped = true };
        Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole, Address: building), mistyped).Evidence.Select(e => e.Feature),
            Is.EqualTo(new[] { "name", "region", "address" }));
        Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole, Address: building), mistyped with { NumberMistyped = false }).Score, Is.Zero);

        // a namesake of the county and year whose masked number is a character apart (another birth day, the check
        // character differs): two valid numbers of one birth date never are, so with two birth dates it is two people
        var namesake = Enumerable.Range(1, 364).Select(d => Wang.AddDays(d)).Where(d => d.Year == Wang.Year)
            .Select(d => Ric(d.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture))).First(n => n[17] != WangWhole[17]);
        Assert.That(MatchScorer.Score(new PersonFacts("王建国", FullNumber: WangWhole),
                new PersonFacts("王建国", MaskedNumber: ResidentIdNumber.MaskNumber(namesake), BirthDate: ResidentIdNumber.BirthDate(namesake))).Score,
            Is.Zero);
    }

    private static string TestUscc(string region)
    {
        var body = "MA2N0K1X";
        var first17 = "91" + region + body + OrganizationCode.CheckCharacter(body);
        return first17 + Uscc.CheckCharacter(first17);
    }
}
