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
        var province = new OrganizationFacts("皖东建设工程有限公司", Region: "340100");
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
}
