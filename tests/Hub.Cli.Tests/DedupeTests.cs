using System.Text;
using Hub.Cli;
using Hub.Domain.Identifiers;

namespace Hub.Cli.Tests;

public sealed class DedupeTests
{
    private static string Ric(string birth, string sequence, string region = "341122")
    {
        var first17 = region + birth + sequence;
        return first17 + ResidentIdNumber.CheckCharacter(first17);
    }

    private static readonly string WangJianguo = Ric("19780512", "361");
    private static readonly string ZhangWeiA = Ric("19800101", "475", "340104");
    private static readonly string ZhangWeiB = Ric("19800101", "613", "340104");
    private static readonly string WrongCheck = WangJianguo[..17] + (WangJianguo[17] == '0' ? '1' : '0');

    /// <summary>Persons, each row labelled with the person it is (the last column, which the command does not read).</summary>
    private static string Persons => $""""
        编号,姓名,身份证号,出生日期,地区,person
        P1,王建国,{WangJianguo},1978-05-12,341122,wang
        P2,王 建国,{ResidentIdNumber.MaskNumber(WangJianguo)},,,wang
        P3,"王建国",{WangJianguo.ToLowerInvariant()},1978/5/12,安徽省,wang
        P4,张伟,,1980-01-01,340104,zhang-1
        P5,张伟,,1980-01-01,340104,zhang-2
        P6,张伟,{ZhangWeiA},,340104,zhang-a
        P7,张伟,{ZhangWeiB},,340104,zhang-b
        P8,张伟,{ResidentIdNumber.MaskNumber(ZhangWeiA)},,,zhang-a
        P9,王建国,{WrongCheck},,,wang-bad
        P10,"李娜, ""娜娜""",,,,li

        """";

    private static string UsccOf(string region, string body8)
    {
        var first17 = "91" + region + body8 + OrganizationCode.CheckCharacter(body8);
        return first17 + Uscc.CheckCharacter(first17);
    }

    private static readonly string Wandong = UsccOf("341122", "15678901");
    private static readonly string HefeiWandong = UsccOf("340100", "MA2N0K1X");

    private static string Organizations => $"""
        id,name,code,region,address,org
        O1,安徽皖东建设工程有限公司,{Wandong},341122,"安徽省滁州市琅琊区丰乐大道1号, 2楼",wandong
        O2,滁州市皖东建设工程有限责任公司,{Wandong[8..16]}-{Wandong[16]},3411,,wandong
        O3,皖东建设工程（滁州）有限公司,{string.Concat(Wandong.Select(c => (char)(c + 0xFEE0)))},,,wandong
        O4,皖东建设工程有限公司,,安徽,"安徽省滁州市琅琊区
        丰乐大道1号",wandong
        O5,合肥市皖东建设工程有限公司,{HefeiWandong},340100,,hefei

        """;

    private static string TempFile(string text, Encoding encoding)
    {
        var path = Path.Combine(Path.GetTempPath(), $"hub-dedupe-{Guid.NewGuid():N}.csv");
        File.WriteAllBytes(path, [.. encoding.GetPreamble(), .. encoding.GetBytes(text.ReplaceLineEndings("\r\n"))]);
        return path;
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = HubCli.RunAsync(args, stdout, stderr, http: null, CancellationToken.None).GetAwaiter().GetResult();
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static Encoding EncodingNamed(string name) => name switch
    {
        "utf-8" => new UTF8Encoding(false),
        "utf-8-bom" => new UTF8Encoding(true),
        _ => CsvFile.Gb18030,
    };

    /// <summary>The labels (last column) of the file, by row id, read back with the command's own reader.</summary>
    private static Dictionary<string, string> Labels(string text) =>
        CsvFile.Read(new StringReader(text)).Skip(1).ToDictionary(r => r.Fields[0], r => r.Fields[^1]);

    /// <summary>The clusters printed must be the labelled ones: rows with one label in one cluster, and no cluster
    /// with two labels.</summary>
    private static void AssertClusters(string stdout, Dictionary<string, string> labels)
    {
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo("row_id,cluster_id"));
        var printed = CsvFile.Read(new StringReader(stdout)).Skip(1).Select(r => (Row: r.Fields[0], Cluster: r.Fields[1])).ToList();
        Assert.That(printed.Select(p => p.Row), Is.EqualTo(labels.Keys), "one line per row, in input order");
        var expected = labels.GroupBy(l => l.Value).Select(g => string.Join(" ", g.Select(x => x.Key))).Order(StringComparer.Ordinal);
        var actual = printed.GroupBy(p => p.Cluster).Select(g => string.Join(" ", g.Select(x => x.Row))).Order(StringComparer.Ordinal);
        Assert.That(actual, Is.EqualTo(expected));
        foreach (var (row, cluster) in printed)
            Assert.That(printed.First(p => p.Cluster == cluster).Row, Is.EqualTo(cluster), "a cluster is named by its first row");
    }

    [TestCase("utf-8")]
    [TestCase("utf-8-bom")]
    [TestCase("gb18030")]
    public void Persons_are_clustered_as_labelled(string encoding)
    {
        var file = TempFile(Persons, EncodingNamed(encoding));
        try
        {
            var (code, stdout, stderr) = Run("dedupe", file, "--id", "编号", "--name", "姓名", "--id-number", "身份证号", "--birth-date", "出生日期",
                "--region", "地区", "--kind", "person");

            Assert.That(code, Is.Zero, stderr);
            AssertClusters(stdout, Labels(Persons));
            Assert.That(stdout, Does.Contain("P2,P1\n"), "the masked number joins the whole number");
            Assert.That(stdout, Does.Contain("P4,P4\n").And.Contain("P5,P5\n"), "two people with the same name and birth date stay apart");
            Assert.That(stderr, Does.Not.Contain("row P10"), "a quoted name with a comma and quotes is one field");
            Assert.That(stderr, Does.Contain("line 10 (row P9), column '身份证号'").And.Contain("not an ID number"));
            Assert.That(stderr, Does.Not.Contain(WrongCheck).And.Not.Contain(WangJianguo).And.Not.Contain(WrongCheck[..14]),
                "an ID number is never printed whole");
            Assert.That(stderr, Does.Contain("10 rows, 7 clusters"));
            Assert.That(stderr, Does.Not.Contain("damaged UTF-8"), "GB18030 is not UTF-8 from its first Chinese character");
        }
        finally { File.Delete(file); }
    }

    [TestCase("utf-8")]
    [TestCase("gb18030")]
    public void An_organisation_written_four_ways_is_one_cluster_and_the_Hefei_namesake_goes_to_review(string encoding)
    {
        var file = TempFile(Organizations, EncodingNamed(encoding));
        var review = file + ".review.csv";
        try
        {
            var (code, stdout, stderr) = Run("dedupe", file, "--id", "id", "--name", "name", "--id-number", "code", "--region", "region",
                "--address", "address", "--kind", "organization", "--review", review);

            Assert.That(code, Is.Zero, stderr);
            AssertClusters(stdout, Labels(Organizations));
            var pairs = File.ReadAllLines(review);
            Assert.That(pairs[0], Is.EqualTo("cluster_a,cluster_b,row_a,row_b,score,evidence"));
            // O4 has no code: the core name, the province and the building (written over two lines) join it to O1
            Assert.That(pairs.Skip(1), Is.EqualTo(new[] { "O1,O5,O4,O5,0.65,\"name +0.55 the same name, 皖东建设工程; province +0.10 the same province 34\"" }),
                "one pair per two clusters");
        }
        finally
        {
            File.Delete(file);
            File.Delete(review);
        }
    }

    /// <summary>Organisations without identifiers, with their legal representatives (法定代表人) and their ID numbers.</summary>
    private static string Represented => $"""
        id,name,region,法定代表人,法定代表人身份证号,org
        R1,皖东建设工程有限公司,341122,王建国,{WangJianguo},wandong
        R2,滁州市皖东建设工程有限责任公司,3411,王 建国,{ResidentIdNumber.MaskNumber(WangJianguo)},wandong
        R3,合肥市皖东建设工程有限公司,340100,王建国,{WangJianguo},hefei
        R4,皖东建设工程有限公司,安徽,张伟,{ZhangWeiA},zhang-a
        R5,皖东建设工程有限公司,34,张伟,{ResidentIdNumber.MaskNumber(ZhangWeiB)},zhang-b
        R6,华信科技有限公司,341122,王建国,{WangJianguo},huaxin

        """;

    [Test]
    public void Organisations_join_by_core_name_and_representative_but_sister_companies_and_namesake_representatives_do_not()
    {
        var file = TempFile(Represented, new UTF8Encoding(false));
        var review = file + ".review.csv";
        try
        {
            var (code, stdout, stderr) = Run("dedupe", file, "--id", "id", "--name", "name", "--region", "region", "--representative", "法定代表人",
                "--representative-id", "法定代表人身份证号", "--kind", "organization", "--review", review);

            Assert.That(code, Is.Zero, stderr);
            AssertClusters(stdout, Labels(Represented));
            var pairs = File.ReadAllText(review);
            Assert.That(pairs, Does.Contain("R1,R3,").And.Contain("legal representative +0.35 the same legal representative (the same whole ID number)")
                .And.Contain("city -0.30"), "the sister company with the same representative in another city is only reviewed");
            Assert.That(pairs + stderr, Does.Not.Contain(WangJianguo).And.Not.Contain(ZhangWeiA).And.Not.Contain("王建国"),
                "neither the representative's number nor name is written");

            // without the columns, R1 and R2 have only the core name and the province: a review, not a link
            var (_, without, _) = Run("dedupe", file, "--id", "id", "--name", "name", "--region", "region", "--kind", "organization");
            Assert.That(without, Does.Contain("R2,R2\n"));
        }
        finally
        {
            File.Delete(file);
            File.Delete(review);
        }
    }

    [TestCase("person", "--representative", "法定代表人", "an organisation's legal representative")]
    [TestCase("organization", "--representative-id", "法定代表人身份证号", "--representative-id needs --representative")]
    public void A_representative_for_persons_or_an_id_number_without_the_name_is_a_usage_error(string kind, string option, string column, string error)
    {
        var file = TempFile(Represented, new UTF8Encoding(false));
        try
        {
            var (code, stdout, stderr) = Run("dedupe", file, "--id", "id", "--name", "name", option, column, "--kind", kind);
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stdout, Is.Empty);
            Assert.That(stderr, Does.Contain(error));
        }
        finally { File.Delete(file); }
    }

    [Test]
    public void A_utf8_file_with_a_bad_byte_late_is_said_to_be_damaged_not_read_garbled()
    {
        var bytes = Encoding.UTF8.GetBytes(Persons);
        bytes[^4] = 0xFF; // in the last row's label
        var file = Path.Combine(Path.GetTempPath(), $"hub-dedupe-{Guid.NewGuid():N}.csv");
        File.WriteAllBytes(file, bytes);
        try
        {
            var (code, _, stderr) = Run("dedupe", file, "--id", "编号", "--name", "姓名", "--kind", "person");
            // UTF-8 Chinese is seldom valid GB18030 either: then the file is refused
            Assert.That(code, Is.EqualTo(1));
            Assert.That(stderr, Does.Contain("the bytes are neither UTF-8 nor GB18030"));
            Assert.That(stderr, Does.Contain($"read as GB18030: its bytes are UTF-8 up to byte {bytes.Length - 3:N0} and not after").And.Contain("damaged UTF-8"));
        }
        finally { File.Delete(file); }
    }

    [Test]
    public void A_missing_column_is_an_error_naming_it()
    {
        var file = TempFile(Persons, new UTF8Encoding(false));
        try
        {
            var (code, stdout, stderr) = Run("dedupe", file, "--id", "编号", "--name", "姓名", "--birth-date", "生日", "--kind", "person");

            Assert.That(code, Is.EqualTo(1));
            Assert.That(stdout, Is.Empty);
            Assert.That(stderr, Does.Contain("no column '生日' (--birth-date)").And.Contain("'出生日期'"));
        }
        finally { File.Delete(file); }
    }

    [Test]
    public void A_row_with_the_wrong_number_of_fields_is_reported_and_kept_apart()
    {
        var text = $"id,name,number\nA,王建国,{WangJianguo}\nB,王建国,{WangJianguo},extra\nC,王建国,{WangJianguo}\n";
        var file = TempFile(text, new UTF8Encoding(false));
        try
        {
            var (code, stdout, stderr) = Run("dedupe", file, "--id", "id", "--name", "name", "--id-number", "number", "--kind", "person");

            Assert.That(code, Is.Zero);
            Assert.That(stdout, Is.EqualTo("row_id,cluster_id\nA,A\nB,B\nC,A\n"));
            Assert.That(stderr, Does.Contain("line 3 (row B): 4 fields where the header has 3"));
        }
        finally { File.Delete(file); }
    }

    [TestCase("id,name\nA,x\nA,y\n", "line 3, column 'id': row id 'A' is already on line 2")]
    [TestCase("id,name\nA,\"x\nB,y\n", "line 2: a quoted field is never closed")]
    [TestCase("id,name\n,x\n", "line 2, column 'id': no row id")]
    public void A_file_that_cannot_be_clustered_is_refused_naming_the_line(string text, string error)
    {
        var file = TempFile(text, new UTF8Encoding(false));
        try
        {
            var (code, _, stderr) = Run("dedupe", file, "--id", "id", "--name", "name", "--kind", "organization");
            Assert.That(code, Is.EqualTo(1));
            Assert.That(stderr, Does.Contain(error));
        }
        finally { File.Delete(file); }
    }

    [Test]
    public void A_missing_file_exits_2_naming_it()
    {
        var (code, stdout, stderr) = Run("dedupe", "/nonexistent/list.csv", "--id", "a", "--name", "b", "--kind", "person");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.Contain("no file /nonexistent/list.csv"));
    }

    // on a file that exists, so that only the usage error can be what refuses the run
    [TestCase("--kind is person or organization, not 'company'", "--id", "a", "--name", "b", "--kind", "company")]
    [TestCase("dedupe needs --kind person|organization", "--id", "a", "--name", "b")]
    [TestCase("dedupe needs --name COLUMN", "--id", "a", "--kind", "person")]
    [TestCase("dedupe needs --id COLUMN", "--name", "b", "--kind", "person")]
    [TestCase("unexpected '--colour'", "--id", "a", "--name", "b", "--kind", "person", "--colour", "red")]
    public void Usage_errors_exit_2_naming_the_option(string error, params string[] options)
    {
        var file = TempFile("a,b\n1,x\n", new UTF8Encoding(false));
        try
        {
            var (code, stdout, stderr) = Run(["dedupe", file, .. options]);
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stdout, Is.Empty);
            Assert.That(stderr, Does.Contain(error));
        }
        finally { File.Delete(file); }
    }
}
