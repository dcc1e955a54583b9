using Hub.Contracts;
using Hub.Domain.Identifiers;
using Hub.Domain.Resolution;

namespace Hub.Domain.Tests.Resolution;

public sealed class DeduplicatorTests
{
    private static string Ric(string birth, string sequence = "361", string region = "341122")
    {
        var first17 = region + birth + sequence;
        return first17 + ResidentIdNumber.CheckCharacter(first17);
    }

    private static string UsccOf(string region, string body8)
    {
        var code = body8 + OrganizationCode.CheckCharacter(body8);
        var first17 = "91" + region + code;
        return first17 + Uscc.CheckCharacter(first17);
    }

    /// <summary>A second person with the same name, region, birth year, sequence and check character — the same
    /// masked number — born on another day.</summary>
    private static string SameMaskedNumber(string whole)
    {
        for (var d = new DateOnly(int.Parse(whole[6..10]), 1, 1); d.Year == int.Parse(whole[6..10]); d = d.AddDays(1))
        {
            var other = Ric(d.ToString("yyyyMMdd"), whole[14..17], whole[..6]);
            if (other != whole && ResidentIdNumber.MaskNumber(other) == ResidentIdNumber.MaskNumber(whole)) return other;
        }
        throw new InvalidOperationException("no other number with this mask");
    }

    private static (DedupeResult Result, List<DedupeProblem> Problems) Run(SubjectKind kind, params DedupeRow[] rows)
    {
        var d = new Deduplicator(kind);
        var problems = new List<DedupeProblem>();
        foreach (var r in rows) problems.AddRange(d.Add(r));
        return (d.Cluster(), problems);
    }

    private static HashSet<string> Partition(IReadOnlyList<int> clusterOf, Func<int, string> label) =>
        clusterOf.Select((c, i) => (c, i)).GroupBy(x => x.c).Select(g => string.Join("+", g.Select(x => label(x.i)).Order(StringComparer.Ordinal))).ToHashSet();

    [Test]
    public void A_masked_number_and_the_same_name_join_the_whole_number_and_a_name_alone_does_not()
    {
        var whole = Ric("19780512");
        var (result, problems) = Run(SubjectKind.Person,
            new DedupeRow("王建国", whole),
            new DedupeRow("王 建国", ResidentIdNumber.MaskNumber(whole), "1978-05-12"),
            new DedupeRow("王建国"),
            new DedupeRow("王建国", ResidentIdNumber.MaskNumber(whole)),
            new DedupeRow("王建华", ResidentIdNumber.MaskNumber(whole)));

        Assert.That(problems, Is.Empty);
        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 0, 2, 0, 4 }));
        Assert.That(result.Clusters, Is.EqualTo(3));
    }

    [Test]
    public void Two_people_with_the_same_name_and_birth_date_stay_apart_and_are_reviewed()
    {
        var (result, _) = Run(SubjectKind.Person,
            new DedupeRow("张伟", BirthDate: "1980-01-01", Region: "340104"),
            new DedupeRow("张伟", BirthDate: "19800101", Region: "340104"),
            new DedupeRow("张伟", Ric("19800101", "475"), Region: "340104"),
            new DedupeRow("张伟", Ric("19800101", "613"), Region: "340104"));

        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 1, 2, 3 }));
        var pairs = result.Reviews.Select(r => (r.RowA, r.RowB, r.Score.Score)).ToList();
        // identical rows are reported against the first of them
        Assert.That(pairs, Is.EquivalentTo(new[] { (0, 1, 0.75), (0, 2, 0.75), (0, 3, 0.75) }).Using<(int, int, double)>(
            (x, y) => x.Item1 == y.Item1 && x.Item2 == y.Item2 && Math.Abs(x.Item3 - y.Item3) < 1e-9),
            "name, birth date and region are worth a review; two whole numbers are two people (no review)");
    }

    [Test]
    public void A_masked_number_that_two_people_fit_links_to_neither()
    {
        var a = Ric("19800101", "475");
        var b = SameMaskedNumber(a);
        var (result, _) = Run(SubjectKind.Person,
            new DedupeRow("张伟", a),
            new DedupeRow("张伟", b),
            new DedupeRow("张伟", ResidentIdNumber.MaskNumber(a)),
            new DedupeRow("张伟", ResidentIdNumber.MaskNumber(a), a[6..14]));

        // row 3 has the birth date of a: only a fits it; row 2 fits both and stays apart
        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 1, 2, 0 }));
        var ambiguous = result.Reviews.Where(r => r.Score.Evidence.Any(e => e.Feature == "ambiguous")).Select(r => (r.RowA, r.RowB));
        Assert.That(ambiguous, Is.SupersetOf(new[] { (0, 2), (1, 2) }));
    }

    [Test]
    public void A_birth_date_that_is_not_the_id_numbers_is_dropped_and_the_number_decides()
    {
        var whole = Ric("19780512");
        var (result, problems) = Run(SubjectKind.Person,
            new DedupeRow("王建国", whole, "1978-05-13"),
            new DedupeRow("王建国", whole));

        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 0 }));
        Assert.That(problems.Single().Field, Is.EqualTo(DedupeField.BirthDate));
    }

    [Test]
    public void Identical_rows_without_a_number_stay_apart_and_identical_masked_rows_join()
    {
        var masked = ResidentIdNumber.MaskNumber(Ric("19650302"));
        var (result, _) = Run(SubjectKind.Person,
            new DedupeRow("李娜", BirthDate: "1965-03-02"), new DedupeRow("李娜", BirthDate: "1965-03-02"), new DedupeRow("李娜", BirthDate: "1965-03-02"),
            new DedupeRow("李娜", masked), new DedupeRow("李娜", masked));

        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 1, 2, 3, 3 }));
        Assert.That(result.Reviews.Select(r => (r.RowA, r.RowB)), Is.SupersetOf(new[] { (0, 1), (0, 2) }));
    }

    [Test]
    public void An_invalid_number_is_reported_masked_and_is_no_whole_number()
    {
        var whole = Ric("19780512");
        var wrong = whole[..17] + (whole[17] == '0' ? '1' : '0');
        var (result, problems) = Run(SubjectKind.Person, new DedupeRow("王建国", whole), new DedupeRow("王建国", wrong), new DedupeRow("", whole));

        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 1, 2 }),
            "its masked form is another (the check character) and no birth date tells which is wrong; without a name, nothing");
        Assert.That(problems.Select(p => (p.Row, p.Field)), Is.EqualTo(new[] { (1, DedupeField.IdNumber), (2, DedupeField.Name) }));
        Assert.That(problems[0].Message, Does.Contain("341122********" + wrong[^4..]).And.Not.Contain(wrong).And.Not.Contain(whole[..14]));
    }

    [Test]
    public void An_organisation_written_three_ways_joins_by_its_codes_a_name_with_the_province_only_is_reviewed_and_with_the_address_linked()
    {
        var uscc = UsccOf("341122", "15678901");
        var code = Uscc.EmbeddedOrganizationCode(uscc);
        var fullWidth = string.Concat(uscc.Select(c => (char)(c + 0xFEE0)));
        var (result, problems) = Run(SubjectKind.Organization,
            new DedupeRow("安徽皖东建设工程有限公司", uscc, Region: "341122"),
            new DedupeRow("滁州市皖东建设工程有限责任公司", code[..8] + "-" + code[8], Region: "3411"),
            new DedupeRow("皖东建设工程（滁州）有限公司", fullWidth),
            new DedupeRow("皖东 建设工程有限公司", Region: "安徽省", Address: "安徽省滁州市琅琊区丰乐大道1号"),
            new DedupeRow("合肥市皖东建设工程有限公司", UsccOf("340100", "MA2N0K1X"), Region: "340100"),
            new DedupeRow("皖东建设工程有限公司", Region: "34", Address: "安徽省滁州市琅琊区丰乐大道 1 号"));

        Assert.That(problems, Is.Empty);
        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 0, 0, 3, 4, 3 }), "the core name, the province and the address (0.9) link rows 3 and 5");
        var byPair = result.Reviews.ToDictionary(r => (r.RowA, r.RowB), r => r.Score.Score);
        Assert.That(byPair[(0, 3)], Is.EqualTo(0.65).Within(1e-9), "the core name and the province");
        Assert.That(byPair.ContainsKey((0, 4)), Is.False, "Chuzhou's USCC and Hefei's: different USCCs, never");
    }

    [Test]
    public void Organisations_without_identifiers_join_by_core_name_and_representative_but_not_sisters_namesakes_or_a_row_both_sisters_fit()
    {
        var wang = Ric("19780512");
        var namesake = Ric("19780512", "517");
        var (result, problems) = Run(SubjectKind.Organization,
            new DedupeRow("安徽皖东建设工程有限公司", Region: "341122", Representative: "王建国", RepresentativeId: wang),
            new DedupeRow("皖东建设工程有限责任公司", Region: "3411", Representative: "王 建国", RepresentativeId: ResidentIdNumber.MaskNumber(wang)),
            // the sister company in Hefei: the same trade name and representative, another city
            new DedupeRow("合肥市皖东建设工程有限公司", Region: "340100", Representative: "王建国", RepresentativeId: wang),
            // neither city: the Chuzhou company and its Hefei sister both fit, so it links to neither
            new DedupeRow("皖东建设工程有限公司", Representative: "王建国", RepresentativeId: wang.ToLowerInvariant()),
            // a namesake representative (another number) of a company of the same name in the province
            new DedupeRow("皖东建设工程有限公司", Region: "安徽省", Representative: "王建国", RepresentativeId: namesake),
            // the same representative, another company
            new DedupeRow("华信科技有限公司", Region: "341122", Representative: "王建国", RepresentativeId: wang),
            new DedupeRow("华信科技有限公司", Region: "341122", Representative: "王建国", RepresentativeId: wang[..17] + (wang[17] == '1' ? '2' : '1')));

        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 0, 2, 3, 4, 5, 5 }));
        Assert.That(problems.Select(p => (p.Row, p.Field)), Is.EqualTo(new[] { (6, DedupeField.RepresentativeId) }));
        Assert.That(problems[0].Message, Does.Not.Contain(wang[..17]), "an ID number is never reported whole");
        var byPair = result.Reviews.ToDictionary(r => (r.RowA, r.RowB), r => r.Score);
        Assert.That(result.Reviews.Single(r => result.ClusterOf[r.RowA] == 0 && r.RowB == 2).Score.Score, Is.EqualTo(0.6).Within(1e-9),
            "sisters: core name and representative, two cities: a review");
        Assert.That(byPair.Keys, Does.Contain((0, 3)).Or.Contain((1, 3)));
        Assert.That(result.Reviews.Where(r => r.RowB == 3).SelectMany(r => r.Score.Evidence).Select(e => e.Feature), Does.Contain("ambiguous"));
        Assert.That(byPair.Keys.Any(k => k.Item2 == 4), Is.False, "a namesake representative: 0.45, not even a review");
    }

    [Test]
    public void An_organisation_code_that_two_uscc_embed_links_to_neither()
    {
        var a = UsccOf("341122", "15678901");
        var b = "92" + a[2..17];
        b += Uscc.CheckCharacter(b);
        var (result, _) = Run(SubjectKind.Organization,
            new DedupeRow("皖东建设工程有限公司", a), new DedupeRow("皖东建设工程有限公司", b),
            new DedupeRow("皖东建设工程有限公司", Uscc.EmbeddedOrganizationCode(a)));

        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(result.Reviews.Where(r => r.Score.Evidence.Any(e => e.Feature == "ambiguous")).Select(r => (r.RowA, r.RowB)),
            Is.EquivalentTo(new[] { (0, 2), (1, 2) }));
    }

    [Test]
    public void The_clusters_do_not_depend_on_the_order_of_the_rows()
    {
        var rng = new Random(7);
        var rows = new List<(string Label, DedupeRow Row)>();
        for (var p = 0; p < 300; p++)
        {
            var whole = Ric($"19{rng.Next(50, 99)}0{rng.Next(1, 9)}1{rng.Next(0, 9)}", rng.Next(100, 999).ToString(), p % 2 == 0 ? "341122" : "340104");
            var name = new[] { "张伟", "王芳", "李娜", "刘洋" }[rng.Next(4)];
            for (var k = rng.Next(1, 4); k > 0; k--)
                rows.Add(($"{p}.{k}", new DedupeRow(name, rng.Next(3) switch { 0 => whole, 1 => ResidentIdNumber.MaskNumber(whole), _ => null },
                    rng.Next(2) == 0 ? whole[6..14] : null)));
        }
        var forward = Run(SubjectKind.Person, [.. rows.Select(r => r.Row)]).Result;
        var shuffled = rows.OrderBy(_ => rng.Next()).ToList();
        var again = Run(SubjectKind.Person, [.. shuffled.Select(r => r.Row)]).Result;

        Assert.That(Partition(again.ClusterOf, i => shuffled[i].Label), Is.EquivalentTo(Partition(forward.ClusterOf, i => rows[i].Label)));
        Assert.That(forward.Clusters, Is.LessThan(rows.Count), "some rows were joined");
    }

    [Test]
    public void A_block_larger_than_the_window_is_compared_with_its_neighbours_and_says_so()
    {
        var rows = Enumerable.Range(0, Deduplicator.Window + 50)
            .Select(i => new DedupeRow("华信科技有限公司", Address: $"地址{i}"))
            .Append(new DedupeRow("华信科技有限公司", Address: $"地址{Deduplicator.Window + 49}")).ToArray();
        var (result, _) = Run(SubjectKind.Organization, rows);

        Assert.That(result.Notes, Has.One.Contains("compared with the 200 before it only"));
        Assert.That(result.Reviews.Select(r => (r.RowA, r.RowB)), Does.Contain((Deduplicator.Window + 49, Deduplicator.Window + 50)));
        Assert.That(result.Clusters, Is.EqualTo(rows.Length));
    }

    [TestCase("1978-05-12")]
    [TestCase("19780512")]
    [TestCase("1978/5/12")]
    [TestCase("1978年5月12日")]
    [TestCase("１９７８－０５－１２")]
    public void Birth_dates_are_read_as_lists_write_them(string text) =>
        Assert.That(Deduplicator.ParseBirthDate(text), Is.EqualTo(new DateOnly(1978, 5, 12)));

    [TestCase("341122", "341122")]
    [TestCase("34", "34")]
    [TestCase("安徽省滁州市", "34")]
    [TestCase("内蒙古自治区", "15")]
    [TestCase("990000", null)]
    [TestCase("滁州市", null)]
    public void Regions_are_codes_or_province_names(string text, string? code) =>
        Assert.That(Deduplicator.ParseRegion(text), Is.EqualTo(code));

    [Test]
    public void Rows_without_a_number_join_by_name_birth_date_and_building_or_mobile_and_a_namesake_of_the_household_stays_apart()
    {
        var whole = Ric("19780512");
        var (result, problems) = Run(SubjectKind.Person,
            new DedupeRow("张伟", whole, Address: "安徽省滁州市城关区人民路12号"),
            new DedupeRow("张伟", BirthDate: "1978年5月12日", Address: "滁州市城关区人民路１２号3栋402室"),
            new DedupeRow("张 伟", BirthDate: "19780512", Phone: "+86 138 1234 5678"),
            new DedupeRow("张伟", BirthDate: "1978-05-12", Phone: "13812345678"),
            new DedupeRow("张伟", BirthDate: "1952-03-01", Address: "安徽省滁州市城关区人民路12号", Phone: "13812345678"),
            new DedupeRow("张伟", Address: "安徽省滁州市城关区人民路12号"));

        Assert.That(problems, Is.Empty);
        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 0, 2, 2, 4, 5 }),
            "the building joins row 1 to the whole number; the mobile rows 2 and 3; the father at the same address, with the son's phone, has another birth date; the name at the building alone is reviewed");
        Assert.That(result.Reviews.Select(r => (r.RowA, r.RowB)), Does.Contain((0, 5)));
    }

    /// <summary>A date of the year of <paramref name="whole"/> that makes no whole number with its masked form: a
    /// mistyped birth date.</summary>
    private static string DateNotFitting(string whole)
    {
        var masked = ResidentIdNumber.MaskNumber(whole);
        for (var d = ResidentIdNumber.BirthDate(whole).AddDays(1); ; d = d.AddDays(1))
            if (!ResidentIdNumber.FitsBirthDate(masked, d)) return d.ToString("yyyy-MM-dd");
    }

    [Test]
    public void A_name_with_a_character_mistyped_joins_by_the_masked_number_and_birth_date_and_without_them_or_with_another_surname_does_not()
    {
        var whole = Ric("19780512");
        var masked = ResidentIdNumber.MaskNumber(whole);
        var (result, problems) = Run(SubjectKind.Person,
            new DedupeRow("王建国", whole),
            new DedupeRow("王建华", masked, "1978-05-12"),
            new DedupeRow("汪建国", masked, "1978年5月12日"),
            new DedupeRow("王建华", BirthDate: "1978-05-12", Region: "341122"),
            // a twin: the same birth date and county, a name a character apart — another sequence number
            new DedupeRow("王建民", ResidentIdNumber.MaskNumber(Ric("19780512", "363")), "1978-05-12"));

        Assert.That(problems, Is.Empty);
        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 0, 2, 3, 4 }));
        Assert.That(Run(SubjectKind.Person, new DedupeRow("王建国", whole), new DedupeRow("王建华", masked)).Result.ClusterOf, Is.EqualTo(new[] { 0, 1 }),
            "without the birth date");
    }

    [Test]
    public void A_birth_date_that_makes_no_whole_number_with_the_masked_number_does_not_keep_a_row_apart_unless_two_people_fit_it()
    {
        var whole = Ric("19780512");
        var masked = ResidentIdNumber.MaskNumber(whole);
        var (result, _) = Run(SubjectKind.Person,
            new DedupeRow("王建国", whole),
            new DedupeRow("王建国", masked, DateNotFitting(whole)),
            new DedupeRow("王建国", masked));
        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 0, 0 }), "the mistyped birth date neither keeps row 1 apart nor makes row 2 fit two people");

        // a namesake with the same masked number born another day: the row with a birth date that fits neither fits both
        var namesake = SameMaskedNumber(whole);
        var typo = DateNotFitting(whole);
        Assume.That(ResidentIdNumber.FitsBirthDate(masked, DateOnly.Parse(typo)), Is.False);
        (result, _) = Run(SubjectKind.Person,
            new DedupeRow("王建国", whole), new DedupeRow("王建国", namesake), new DedupeRow("王建国", masked, typo));
        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(result.Reviews.Where(r => r.Score.Evidence.Any(e => e.Feature == "ambiguous")).Select(r => (r.RowA, r.RowB)),
            Is.EquivalentTo(new[] { (0, 2), (1, 2) }));
    }

    [Test]
    public void A_masked_number_with_a_visible_character_mistyped_joins_by_name_and_birth_date_where_the_check_shows_the_typo()
    {
        var whole = Ric("19780512");
        var masked = ResidentIdNumber.MaskNumber(whole);
        var typo = masked[..15] + (masked[15] == '7' ? '8' : '7') + masked[16..];
        var (result, _) = Run(SubjectKind.Person,
            new DedupeRow("王建国", whole),
            new DedupeRow("王建国", typo, "19780512"),
            new DedupeRow("王建华", typo, "19780512"));
        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 0, 2 }), "two typos (the number and the name) are too many");
        Assert.That(Run(SubjectKind.Person, new DedupeRow("王建国", whole), new DedupeRow("王建国", typo)).Result.ClusterOf, Is.EqualTo(new[] { 0, 1 }),
            "without the birth date nothing tells which number is wrong");
    }

    [Test]
    public void A_whole_number_with_a_character_mistyped_counts_by_its_masked_form()
    {
        var whole = Ric("19780512");
        var hidden = whole[..12] + (whole[12] == '1' ? '2' : '1') + whole[13..];      // a digit of the birth day: hidden by the mask
        var visible = whole[..15] + (whole[15] == '7' ? '8' : '7') + whole[16..];     // a digit of the sequence
        var year = whole[..9] + '9' + whole[10..];                                      // 1979: the birth year
        var (result, problems) = Run(SubjectKind.Person,
            new DedupeRow("王建国", whole),
            new DedupeRow("王建国", hidden),
            new DedupeRow("王建国", visible, "1978-05-12"),
            new DedupeRow("王建华", hidden),
            new DedupeRow("王建国", year, "1978年5月12日"));

        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 0, 0, 3, 0 }),
            "the masked form right, or wrong and the birth date beside it showing it (in the year too); with another name, apart");
        Assert.That(problems.Select(p => (p.Row, p.Field)), Is.EqualTo(new[]
        {
            (1, DedupeField.IdNumber), (2, DedupeField.IdNumber), (3, DedupeField.IdNumber), (4, DedupeField.IdNumber), (4, DedupeField.BirthDate),
        }));
        Assert.That(problems[^1].Message, Does.Contain("one of them is mistyped"), "the birth date that contradicts the masked number is kept");
        Assert.That(problems[0].Message, Does.Contain("only its masked form is used").And.Not.Contain(hidden[..14]));
        var (apart, _) = Run(SubjectKind.Person, new DedupeRow("王建国", whole, Address: "安徽省滁州市城关区人民路12号"),
            new DedupeRow("王建国", visible, Address: "滁州市城关区人民路12号"));
        Assert.That(apart.ClusterOf, Is.EqualTo(new[] { 0, 1 }), "a visible character wrong and no birth date: nothing tells which number is wrong");
        Assert.That(apart.Reviews.Select(r => (r.RowA, r.RowB, r.Score.Score)), Is.EqualTo(new[] { (0, 1, 0.8) }),
            "the mistyped number does not count against: name, region and building are worth a review, as without a number");
    }

    [Test]
    public void A_row_without_a_number_that_two_namesakes_of_one_building_fit_does_not_chain_their_masked_numbers_together()
    {
        // two 李伟 born the same day in one county (another sequence number) living in one dormitory: name, birth date and
        // building link a row without a number to either — so to neither, and the two stay apart
        var building = "广东省广州市天河区文化路562号";
        var (result, _) = Run(SubjectKind.Person,
            new DedupeRow("李伟", ResidentIdNumber.MaskNumber(Ric("19861020", "105", "440104")), "1986-10-20", Address: building),
            new DedupeRow("李伟", ResidentIdNumber.MaskNumber(Ric("19861020", "845", "440104")), "1986-10-20", Address: building),
            new DedupeRow("李伟", BirthDate: "19861020", Address: building + "3栋"));

        Assert.That(result.ClusterOf, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(result.Reviews.Where(r => r.Score.Evidence.Any(e => e.Feature == "ambiguous")).Select(r => (r.RowA, r.RowB)),
            Is.EquivalentTo(new[] { (0, 2), (1, 2) }));
    }
}
