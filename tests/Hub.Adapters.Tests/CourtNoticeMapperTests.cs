using System.Text;
using System.Text.Json;
using Hub.Adapters.Court;
using Hub.Contracts;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Adapters.Tests;

public sealed class CourtNoticeMapperTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);
    private readonly CourtNoticeMapper _mapper = new(new FakeTimeProvider(Now));

    private static CourtNotice Notice(string json) => JsonSerializer.Deserialize<CourtNotice>(json)!;

    private const string Public = """
        { "iname": "安徽皖东建设工程有限公司", "caseCode": "(2019)皖1122执1194号", "cardNum": "9134112215678901XC",
          "businessEntity": "王建国", "courtName": "来安县人民法院", "areaName": "安徽", "gistId": "(2018)皖1122民初2231号",
          "gistUnit": "来安县人民法院", "duty": "支付工程款", "performance": "全部未履行", "unperformPart": 1250000.5,
          "disruptTypeName": "违反财产报告制度", "regDate": "20190611", "publishDate": "2019-07-01", "type": 1 }
        """;

    [Test]
    public void A_notice_in_the_public_portal_format_maps_to_JudgmentDefaulterListed()
    {
        var m = _mapper.Map(Notice(Public), "COURT-34-1122");

        Assert.That(m.Error, Is.Null);
        var e = m.Message!;
        Assert.Multiple(() =>
        {
            Assert.That(e.Source.AgencyCode, Is.EqualTo("COURT-34-1122"));
            Assert.That(e.Source.SourceRecordId, Is.EqualTo("(2019)皖1122执1194号|安徽皖东建设工程有限公司"), "without an id, case number and debtor name identify the notice");
            Assert.That(e.Source.RecordedAt, Is.EqualTo(Now));
            Assert.That(e.LegalBasis, Is.EqualTo("JD-4"));
            Assert.That(e.Subject.Kind, Is.EqualTo(SubjectKind.Organization));
            Assert.That(e.Subject.Uscc, Is.EqualTo("9134112215678901XC"));
            Assert.That(e.LegalRepresentative!.Name, Is.EqualTo("王建国"));
            Assert.That(e.UnperformedAmount, Is.EqualTo(1250000.5m));
            Assert.That(e.DecisionDate, Is.EqualTo(new DateOnly(2019, 6, 11)));
            Assert.That(e.PublishedOn, Is.EqualTo(new DateOnly(2019, 7, 1)));
        });
    }

    [TestCase("其他有履行能力而拒不履行生效法律文书确定义务", "JD-1")]
    [TestCase("以伪造证据、暴力、威胁等方法妨碍、抗拒执行", "JD-2")]
    [TestCase("以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行", "JD-3")]
    [TestCase("违反财产报告制度", "JD-4")]
    [TestCase("违反限制消费令", "JD-5")]
    [TestCase("无正当理由拒不履行执行和解协议", "JD-6")]
    public void The_ground_is_read_from_the_courts_own_words(string disruptTypeName, string basis)
    {
        Assert.That(CourtNoticeMapper.Basis(null, disruptTypeName), Is.EqualTo(basis));
    }

    [TestCase("\"regDate\": \"20190611\"", "\"regDate\": \"2019-13-45\"", "regDate is missing or not a date")]
    [TestCase("\"caseCode\": \"(2019)皖1122执1194号\",", "", "caseCode is missing")]
    [TestCase("\"type\": 1", "\"type\": 7", "type must be 0 (person) or 1 (organisation)")]
    [TestCase("违反财产报告制度", "说了不该说的话", "no statutory ground recognised")]
    [TestCase("\"unperformPart\": 1250000.5", "\"unperformPart\": \"lots\"", "unperformPart is not a number")]
    public void An_unreadable_notice_is_refused_with_the_field_named(string from, string to, string error)
    {
        var m = _mapper.Map(Notice(Public.Replace(from, to)), "COURT-34-1122");
        Assert.That(m.Message, Is.Null);
        Assert.That(m.Error, Does.Contain(error));
    }

    [Test]
    public void A_bad_check_character_is_sent_on_with_a_warning_so_the_hub_keeps_and_quarantines_it()
    {
        var m = _mapper.Map(Notice(Public.Replace("9134112215678901XC", "9134112215678901XD")), "COURT-34-1122");
        Assert.That(m.Message, Is.Not.Null);
        Assert.That(m.Warnings.Single(), Does.StartWith("cardNum: check character is 'D', expected 'C'"));
    }

    [Test]
    public void A_person_with_a_masked_number_keeps_it()
    {
        var json = Public.Replace("\"type\": 1", "\"type\": \"0\"").Replace("9134112215678901XC", "3423011964****3224");
        var m = _mapper.Map(Notice(json), "COURT-34-1122");
        Assert.That(m.Message!.Subject.ResidentIdNumber, Is.EqualTo("3423011964****3224"));
        Assert.That(m.Message.LegalRepresentative, Is.Null, "persons have no legal representative");
        Assert.That(m.Warnings, Is.Empty);
    }
}

public sealed class NoticeBodyTests
{
    private static async Task<(IReadOnlyList<BodyItem> Items, string? Error)> Read(string body, bool jsonLines = false)
    {
        var read = await NoticeBody.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), jsonLines ? "application/x-ndjson" : "application/json", CancellationToken.None);
        return (read.Items, read.Error);
    }

    private static Task<BodyRead> ReadBytes(byte[] body, string? contentType) =>
        NoticeBody.ReadAsync(new MemoryStream(body), contentType, CancellationToken.None);

    private static readonly Encoding Gb18030 = CodePages("GB18030");

    private static Encoding CodePages(string name)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(name);
    }

    [Test]
    public async Task An_array_gives_one_item_per_element_numbered_from_one()
    {
        var (items, error) = await Read("[{\"a\":1},{\"a\":2}]");
        Assert.That(error, Is.Null);
        Assert.That(items.Select(i => i.Position), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public async Task Json_lines_keep_going_past_a_bad_line_and_name_it()
    {
        var (items, error) = await Read("{\"a\":1}\n\n{broken\n{\"a\":3}\n", jsonLines: true);
        Assert.That(error, Is.Null);
        Assert.That(items.Select(i => (i.Position, i.Error is null)), Is.EqualTo(new[] { (1, true), (3, false), (4, true) }));
        Assert.That(items[1].Error, Does.StartWith("malformed JSON at byte 2: "));
        Assert.That(items[1].Error, Does.Not.Contain("LineNumber").And.Not.Contain("BytePositionInLine"), "the position once, in one numbering");
    }

    [Test]
    public async Task A_broken_array_is_refused_with_its_position_stated_once()
    {
        var (_, error) = await Read("[{\"a\":1},\n{\"a\" 2}]");
        Assert.That(error, Does.StartWith("malformed JSON at line 2, byte 6: "));
        Assert.That(error, Does.Not.Contain("LineNumber"));
    }

    [Test]
    public async Task An_item_that_is_not_an_object_is_refused_in_the_agency_s_terms()
    {
        var (items, _) = await Read("[{\"a\":1}, \"text\", 5]");
        Assert.That(items[1].Error, Is.EqualTo("item 2 is a JSON string, not an object with the court's fields"));
        Assert.That(items[2].Error, Does.Not.Contain("Hub.").And.Not.Contain("CourtNotice"));
    }

    [Test]
    public async Task A_refused_item_still_carries_its_id()
    {
        var (items, _) = await Read("[{\"id\":\"LA-7\"},{\"id\":12}]");
        Assert.That(items.Select(i => i.SourceRecordId), Is.EqualTo(new[] { "LA-7", "12" }));
    }

    [TestCase("gbk")]
    [TestCase("GB18030")]
    [TestCase("gb2312")]
    public async Task A_body_in_a_declared_Chinese_charset_is_decoded(string charset)
    {
        var json = "[{\"id\":\"GBK-1\",\"iname\":\"安徽皖东建设工程有限公司\",\"courtName\":\"来安县人民法院\"}]";
        var read = await ReadBytes(Gb18030.GetBytes(json), $"application/json; charset={charset}");
        Assert.That(read.Error, Is.Null);
        Assert.That(read.Items[0].Json!.Value.GetProperty("iname").GetString(), Is.EqualTo("安徽皖东建设工程有限公司"));
    }

    [Test]
    public async Task An_undeclared_body_that_is_not_UTF8_is_refused_not_garbled()
    {
        var read = await ReadBytes(Gb18030.GetBytes("[{\"iname\":\"安徽皖东\"}]"), "application/json");
        Assert.That(read.Problem, Is.EqualTo(BodyProblem.UnsupportedMediaType));
        Assert.That(read.Error, Does.StartWith("the body is not UTF-8 (byte 12 is not): declare its charset"));
    }

    [Test]
    public async Task A_body_that_is_not_its_declared_charset_is_unreadable()
    {
        var read = await ReadBytes([0x5B, 0x81, 0x22, 0x5D], "application/json; charset=gbk");
        Assert.That(read.Problem, Is.EqualTo(BodyProblem.Unreadable));
        Assert.That(read.Error, Does.StartWith("the body is not valid gbk"));
    }

    [TestCase("application/xml", "not application/xml")]
    [TestCase("text/csv; charset=utf-8", "not text/csv")]
    [TestCase("application/json; charset=latin-9-or-so", "charset 'latin-9-or-so' is not one the court adapter reads")]
    [TestCase("application/json; charset=iso-8859-1", "charset 'iso-8859-1' is not one the court adapter reads")]
    public async Task A_media_type_or_charset_the_adapter_does_not_read_is_refused(string contentType, string expected)
    {
        var read = await ReadBytes(Encoding.UTF8.GetBytes("<notices/>"), contentType);
        Assert.That(read.Problem, Is.EqualTo(BodyProblem.UnsupportedMediaType));
        Assert.That(read.Error, Does.Contain(expected));
    }

    [Test]
    public async Task A_broken_object_over_several_lines_is_unreadable_not_read_as_JSON_lines()
    {
        var (items, error) = await Read("{\n  \"id\": \"X\",\n  \"iname\" \"broken\"\n}");
        Assert.That(items, Is.Empty);
        Assert.That(error, Does.StartWith("malformed JSON at line 3"));
    }

    [Test]
    public async Task No_content_type_is_read_as_UTF8_JSON()
    {
        var read = await ReadBytes(Encoding.UTF8.GetBytes("{\"id\":\"X\"}"), null);
        Assert.That(read.Error, Is.Null);
        Assert.That(read.Items.Single().Position, Is.EqualTo(1));
    }
}
