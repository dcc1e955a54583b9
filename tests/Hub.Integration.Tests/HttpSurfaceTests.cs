using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Testing;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The HTTP surface as a court's IT person meets it on the first day, through the whole pipeline of the embedded
/// default: Chinese encodings, one numbering of positions, consistent statuses, problem details on every error path,
/// and the OpenAPI document the repository commits.
/// </summary>
[NonParallelizable]
public sealed class HttpSurfaceTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-http-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _court = default!;

    private static readonly Encoding Gb18030 = CodePages("GB18030");

    private static Encoding CodePages(string name)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(name);
    }

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(HubFactory.Embedded(_file));
        _court = await _hub.ClientAsAsync(Court);
        await Eventually.Get(async () => (await _court.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _court.Dispose();
        await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    private Task<HttpResponseMessage> PostBytes(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return _court.PostAsync($"/api/adapters/court/{Court}/notices", content);
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode expected, string type)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.That(problem.GetProperty("type").GetString(), Is.EqualTo("urn:hub:problem:" + type), text);
        Assert.That(text, Does.Not.Contain("Hub.").And.Not.Contain("System."), "no .NET type names");
        return problem;
    }

    private async Task<JsonElement> Subject(string uscc) =>
        (await Eventually.Get(async () =>
        {
            using var r = await _court.GetAsync($"/api/subjects?uscc={uscc}");
            return r.IsSuccessStatusCode ? new Box(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone()) : null;
        }, $"subject {uscc}")).Value;

    private sealed record Box(JsonElement Value);

    [TestCase("gbk", 5101)]
    [TestCase("gb18030", 5102)]
    public async Task A_body_in_GBK_or_GB18030_is_decoded_as_declared(string charset, int company)
    {
        var uscc = TestIdentifiers.Uscc(company);
        var body = new JsonArray(Company($"GB-{company}", uscc: uscc, name: "滁州市𠀀鑫建材有限公司".Replace("𠀀", charset == "gb18030" ? "𠀀" : "金"))).ToJsonString(
            new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        using var post = await PostBytes(Gb18030.GetBytes(body), $"application/json; charset={charset}");
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());

        var subject = await Subject(uscc);
        Assert.That(subject.GetProperty("displayName").GetString(), Is.EqualTo(charset == "gb18030" ? "滁州市𠀀鑫建材有限公司" : "滁州市金鑫建材有限公司"));
    }

    [Test]
    public async Task An_undeclared_non_UTF8_body_is_refused_with_415_naming_the_cure()
    {
        var body = new JsonArray(Company("GB-X")).ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var problem = await Problem(await PostBytes(Gb18030.GetBytes(body), "application/json"), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("charset=gb18030"));
    }

    [Test]
    public async Task Every_error_path_answers_problem_details()
    {
        await Problem(await PostBytes("<notices/>"u8.ToArray(), "application/xml"), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        var malformed = await Problem(await PostBytes("[{\"iname\": "u8.ToArray(), "application/json"), HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(malformed.GetProperty("detail").GetString(), Does.StartWith("malformed JSON at line 1, byte 12: "));
        await Problem(await _court.GetAsync($"/api/adapters/court/{Court}/notices"), HttpStatusCode.MethodNotAllowed, "method-not-allowed");
        await Problem(await _court.GetAsync("/api/no-such-thing"), HttpStatusCode.NotFound, "not-found");
        await Problem(await _court.GetAsync("/api/subjects/0000"), HttpStatusCode.NotFound, "not-found");
        await Problem(await _court.GetAsync("/api/subjects?uscc=9134112215678901XD"), HttpStatusCode.BadRequest, "invalid-request");
        await Problem(await _court.PostAsync("/api/subjects/search", new StringContent("{ not json", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "invalid-request");
        await Problem(await _court.GetAsync("/api/operator/quarantine"), HttpStatusCode.Forbidden, "forbidden");
        using var anonymous = _hub.CreateClient();
        await Problem(await anonymous.GetAsync("/api/whoami"), HttpStatusCode.Unauthorized, "unauthenticated");
        var tooMany = new JsonArray(Enumerable.Range(0, 5_001).Select(i => (JsonNode)new JsonObject { ["id"] = $"T-{i}" }).ToArray());
        await Problem(await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", tooMany), HttpStatusCode.RequestEntityTooLarge, "too-large");
    }

    [Test]
    public async Task A_body_whose_every_notice_is_refused_is_422_with_each_notice_named_by_position_and_id()
    {
        var notices = new JsonArray(new JsonObject { ["id"] = "NO-CASE-1", ["iname"] = "某公司" }, JsonValue.Create("not a notice"));
        using var post = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", notices);
        var problem = await Problem(post, HttpStatusCode.UnprocessableEntity, "every-notice-refused");
        var results = problem.GetProperty("results");
        Assert.That(problem.GetProperty("rejected").GetInt32(), Is.EqualTo(2));
        Assert.That(results[0].GetProperty("position").GetInt32(), Is.EqualTo(1));
        Assert.That(results[0].GetProperty("sourceRecordId").GetString(), Is.EqualTo("NO-CASE-1"));
        Assert.That(results[0].GetProperty("reason").GetString(), Is.EqualTo("caseCode is missing"));
        Assert.That(results[1].GetProperty("position").GetInt32(), Is.EqualTo(2));
        Assert.That(results[1].GetProperty("reason").GetString(), Is.EqualTo("item 2 is a JSON string, not an object with the court's fields"));
    }

    [Test]
    public async Task Positions_count_from_one_for_arrays_and_for_lines()
    {
        var array = new JsonArray(Company("POS-1", uscc: TestIdentifiers.Uscc(5201)), new JsonObject { ["id"] = "POS-2" });
        using var fromArray = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", array);
        var a = JsonDocument.Parse(await fromArray.Content.ReadAsStringAsync()).RootElement.GetProperty("results");
        var lines = Company("POS-3", uscc: TestIdentifiers.Uscc(5202)).ToJsonString() + "\n" + new JsonObject { ["id"] = "POS-4" }.ToJsonString() + "\n";
        using var fromLines = await PostBytes(Encoding.UTF8.GetBytes(lines), "application/x-ndjson");
        var l = JsonDocument.Parse(await fromLines.Content.ReadAsStringAsync()).RootElement.GetProperty("results");
        Assert.That(a.EnumerateArray().Select(r => r.GetProperty("position").GetInt32()), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(l.EnumerateArray().Select(r => r.GetProperty("position").GetInt32()), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(a[1].GetProperty("sourceRecordId").GetString(), Is.EqualTo("POS-2"), "a refused notice keeps its id");
    }

    [Test]
    public async Task A_file_sent_three_times_leaves_one_quarantine_row_per_refused_record()
    {
        var file = new JsonArray(Company("RESEND-OK", uscc: TestIdentifiers.Uscc(5301)), Company("RESEND-BAD", uscc: "9134112215678901XD"));
        using var op = await _hub.ClientAsAsync("operator:test");
        using var auditor = await _hub.ClientAsAsync("auditor:test");
        for (var send = 1; send <= 3; send++)
        {
            using var post = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", file);
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());
            // each send applied (refused again) before the next, so that every send is a batch of its own
            await Eventually.Get(async () => (await auditor.GetFromJsonAsync<JsonElement>("/api/audit?limit=1000")).EnumerateArray()
                .Count(e => e.GetProperty("outcome").GetString() == "quarantined:invalid-identifier"
                            && e.GetProperty("detail").GetString()!.Contains("/RESEND-BAD ", StringComparison.Ordinal)) == send ? "applied" : null, $"send {send} applied");
        }
        var quarantine = await op.GetFromJsonAsync<JsonElement>($"/api/operator/quarantine?agency={Court}");
        Assert.That(quarantine.EnumerateArray().Count(q => q.GetProperty("sourceRecordId").GetString() == "RESEND-BAD"), Is.EqualTo(1));
    }

    [Test]
    public async Task The_committed_OpenAPI_document_is_the_one_the_Hub_serves()
    {
        var served = JsonNode.Parse(await _court.GetStringAsync("/openapi/v1.json"))!;
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Hub.sln"))) root = Path.GetDirectoryName(root)!;
        var file = Path.Combine(root, "docs", "openapi.json");
        var text = served.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        if (Environment.GetEnvironmentVariable("HUB_UPDATE_OPENAPI") == "1") await File.WriteAllTextAsync(file, text);
        Assert.That(File.Exists(file), Is.True, "docs/openapi.json is missing: run HUB_UPDATE_OPENAPI=1 ./test.sh --filter OpenAPI");
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(file)), served), Is.True,
            "docs/openapi.json differs from what the Hub serves: run HUB_UPDATE_OPENAPI=1 ./test.sh --filter OpenAPI and commit it");

        var paths = served["paths"]!.AsObject();
        foreach (var (path, item) in paths.Where(p => p.Key.StartsWith("/api", StringComparison.Ordinal)))
            foreach (var (method, operation) in item!.AsObject())
            {
                Assert.That(operation!["summary"]?.GetValue<string>(), Is.Not.Null.And.Not.Empty, $"{method} {path} has a summary");
                Assert.That(operation["responses"]!.AsObject().Select(r => r.Key), Does.Contain("401").And.Contain("403"), $"{method} {path}");
            }
        var notices = paths[$"/api/adapters/court/{{agency}}/notices"]!["post"]!;
        Assert.That(notices["requestBody"]!["content"]!["application/json"]!["example"]![0]!["iname"]!.GetValue<string>(), Is.EqualTo("安徽皖东建设工程有限公司"),
            "examples in the courts' own field names");
        Assert.That(notices["responses"]!.AsObject().Select(r => r.Key), Is.SupersetOf(new[] { "200", "400", "413", "415", "422", "503" }));
    }
}
