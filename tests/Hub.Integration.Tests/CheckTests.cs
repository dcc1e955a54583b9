using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Adapters.Publishing;
using Hub.Contracts;
using Hub.Domain.Identifiers;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// Checks before granting over HTTP in the embedded default: a court's listing of a company with its legal
/// representative and a food-safety bureau's serious penalty, checked by the agencies that enforce each measure; the
/// refusals (a measure the caller's kind does not enforce, an unknown measure, an unreadable subject, a batch over
/// 1,000), a batch answered in order, masking, and the audit entries. Terms on a fake clock: Hub.Storage.Tests.
/// </summary>
[NonParallelizable]
public sealed class CheckTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-checks-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _court = default!;
    private readonly Dictionary<string, HttpClient> _agencies = [];

    private static readonly string JdUscc = TestIdentifiers.Uscc(8101);
    private const string JdName = "滁州市检查建设工程有限公司";
    private static readonly string JdRep = Ric("34112219700101123");
    private static readonly string FoodUscc = TestIdentifiers.Uscc(8102);
    private static readonly string FoodRep = Ric("35010219810202456");
    private static readonly string OldUscc = TestIdentifiers.Uscc(8103);
    private string _jdHubId = "", _foodHubId = "";

    private static string Ric(string first17) => first17 + ResidentIdNumber.CheckCharacter(first17);

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(HubFactory.Embedded(_file));
        _court = await _hub.ClientAsAsync(Court);
        await Eventually.Get(async () => (await _court.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
        foreach (var agency in new[] { "MARKET-33", "FOOD-35", "LABOUR-32", "ENV-44" }) _agencies[agency] = await _hub.ClientAsAsync(agency);

        // a court lists a company and, by imputation, its legal representative (JD-4, from 11 June 2026 for 24 months);
        // another company's listing ran out in 2022
        var old = Company("CHK-OLD", uscc: OldUscc, name: "滁州市过期建材有限公司", repRic: Ric("34112219650303789"));
        old["regDate"] = "20200611";
        old["publishDate"] = "20200701";
        using (var post = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices",
                   new JsonArray(Company("CHK-JD", uscc: JdUscc, name: JdName, repName: "赵检查", repRic: JdRep), old)))
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());
        // a food-safety bureau's serious penalty of another company, imputed to its representative
        await _hub.Services.GetRequiredService<HubPublisher>().PublishAsync(new AdministrativePenaltyRecorded
        {
            Source = new SourceStamp { AgencyCode = "FOOD-35", SourceRecordId = "CHK-FOOD-1" },
            LegalBasis = "FOOD-SERIOUS", DecisionNumber = "闽食药监罚〔2026〕88号", Category = PenaltyCategory.FoodSafety, Severity = PenaltySeverity.Serious,
            Subject = new SubjectReference { Kind = SubjectKind.Organization, Name = "福州检查食品有限公司", Uscc = FoodUscc },
            LegalRepresentative = new SubjectReference { Kind = SubjectKind.Person, Name = "林食安", ResidentIdNumber = FoodRep },
            DecisionDate = new DateOnly(2026, 5, 20),
        }, "FOOD-35", CancellationToken.None);
        _jdHubId = await HubId(JdUscc);
        _foodHubId = await HubId(FoodUscc);
        await HubId(OldUscc);
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        foreach (var c in _agencies.Values) c.Dispose();
        _court.Dispose();
        await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    private sealed record Box(string Value);

    private async Task<string> HubId(string uscc) =>
        (await Eventually.Get(async () =>
        {
            using var r = await _court.GetAsync($"/api/subjects?uscc={uscc}");
            return r.IsSuccessStatusCode ? new Box(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("hubId").GetString()!) : null;
        }, $"subject {uscc} in the index")).Value;

    private static async Task<(HttpStatusCode Status, JsonElement Body, string Text)> Post(HttpClient client, string path, object body)
    {
        using var r = await client.PostAsJsonAsync(path, body);
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), text);
    }

    private Task<(HttpStatusCode Status, JsonElement Body, string Text)> Check(string agency, object subject, string measure, string? asOf = null) =>
        Post(_agencies[agency], "/api/checks", asOf is null ? new { subject, measure } : new { subject, measure, asOf });

    private static JsonElement Problem((HttpStatusCode Status, JsonElement Body, string Text) answer, HttpStatusCode expected, string type)
    {
        Assert.That(answer.Status, Is.EqualTo(expected), answer.Text);
        Assert.That(answer.Body.GetProperty("type").GetString(), Is.EqualTo("urn:hub:problem:" + type), answer.Text);
        Assert.That(answer.Text, Does.Not.Contain("System.").And.Not.Contain("Hub."), "no .NET type names");
        return answer.Body;
    }

    private static string[] Rules(JsonElement check) =>
        check.GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("rule").GetString()! + (r.GetProperty("derived").GetBoolean() ? " derived" : "")).ToArray();

    // agency, measure, subject, the rules that restrict (none: allowed)
    [TestCase("MARKET-33", "serving-as-legal-representative", "jd-rep", new[] { "JS-JD-LEGALREP derived" })]
    [TestCase("MARKET-33", "consumption-restriction", "jd-rep", new[] { "JS-JD-CONSUMPTION derived" })]
    [TestCase("MARKET-33", "consumption-restriction", "jd-company", new[] { "JS-JD-CONSUMPTION" })]
    [TestCase("FOOD-35", "procurement-exclusion", "jd-company", new[] { "JS-JD-PROCUREMENT" })]
    [TestCase("LABOUR-32", "procurement-exclusion", "jd-rep", new string[0])]
    [TestCase("FOOD-35", "food-production-licence", "food-company", new[] { "JS-FOOD-LICENCE" })]
    [TestCase("MARKET-33", "food-production-licence", "food-rep", new[] { "JS-FOOD-LICENCE derived" })]
    [TestCase("FOOD-35", "food-production-licence", "jd-company", new string[0])]
    [TestCase("MARKET-33", "market-access-restriction", "food-company", new[] { "JS-FOOD-MARKET" })]
    [TestCase("ENV-44", "public-funding-exclusion", "food-company", new string[0])]
    [TestCase("MARKET-33", "serving-as-legal-representative", "old-company", new string[0])]
    public async Task An_agency_checks_a_measure_its_kind_enforces(string agency, string measure, string who, string[] rules)
    {
        object subject = who switch
        {
            "jd-company" => new { uscc = JdUscc },
            "jd-rep" => new { ric = JdRep },
            "food-company" => new { hubId = _foodHubId },
            "food-rep" => new { ric = FoodRep },
            _ => new { uscc = OldUscc },
        };
        var (status, check, text) = await Check(agency, subject, measure);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(Rules(check), Is.EqualTo(rules), text);
        Assert.That(check.GetProperty("outcome").GetString(), Is.EqualTo(rules.Length > 0 ? "restricted" : "allowed"));
        Assert.That(check.GetProperty("knownToHub").GetBoolean(), Is.True);
        Assert.That(check.GetProperty("measure").GetString(), Is.EqualTo(measure));
        Assert.That(check.GetProperty("catalogueVersion").GetString(), Is.EqualTo("2026.2"));
        Assert.That(check.GetProperty("asOf").GetString(), Is.EqualTo(Hub.Domain.Lifecycle.ListingClock.DayAt(TimeProvider.System.GetUtcNow()).ToString("yyyy-MM-dd")));
    }

    [Test]
    public async Task A_derived_restriction_says_so_and_names_the_listed_company_with_the_ID_number_masked()
    {
        var (status, check, text) = await Check("MARKET-33", new { ric = JdRep }, "serving-as-legal-representative");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
        var reason = check.GetProperty("reasons").EnumerateArray().Single();
        Assert.That(reason.GetProperty("derived").GetBoolean(), Is.True);
        Assert.That(reason.GetProperty("derivedFrom").GetProperty("hubId").GetString(), Is.EqualTo(_jdHubId));
        Assert.That(reason.GetProperty("derivedFrom").GetProperty("displayName").GetString(), Is.EqualTo(JdName));
        Assert.That(reason.GetProperty("derivedFrom").GetProperty("role").GetString(), Is.EqualTo("legal-representative"));
        Assert.That(reason.GetProperty("legalBasis").GetString(), Is.EqualTo("JD-4"));
        Assert.That(reason.GetProperty("listType").GetString(), Is.EqualTo("judgment-defaulter"));
        Assert.That(reason.GetProperty("memorandum").GetString(), Does.Contain("发改财金〔2016〕141号"));
        Assert.That(reason.GetProperty("validFrom").GetString(), Is.EqualTo("2026-06-11"));
        Assert.That(check.GetProperty("subject").GetProperty("identifier").GetString(), Is.EqualTo(ResidentIdNumber.MaskNumber(JdRep)));
        Assert.That(check.GetProperty("subject").GetProperty("kind").GetString(), Is.EqualTo("Person"));
        Assert.That(text, Does.Not.Contain(JdRep));
    }

    [Test]
    public async Task A_subject_the_Hub_does_not_know_is_allowed_and_said_to_be_not_known()
    {
        var (status, check, text) = await Check("FOOD-35", new { uscc = TestIdentifiers.Uscc(8199) }, "procurement-exclusion");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(check.GetProperty("outcome").GetString(), Is.EqualTo("allowed"));
        Assert.That(check.GetProperty("knownToHub").GetBoolean(), Is.False);
        Assert.That(check.GetProperty("note").GetString(), Is.EqualTo("not known to the Hub"));
        Assert.That(check.GetProperty("reasons").GetArrayLength(), Is.Zero);
        Assert.That(check.GetProperty("subject").GetProperty("hubId").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task AsOf_judges_the_terms_on_that_day()
    {
        var today = await Check("MARKET-33", new { uscc = OldUscc }, "consumption-restriction");
        Assert.That(today.Body.GetProperty("outcome").GetString(), Is.EqualTo("allowed"), today.Text);
        var then = await Check("MARKET-33", new { uscc = OldUscc }, "consumption-restriction", asOf: "2021-01-01");
        Assert.That(then.Body.GetProperty("outcome").GetString(), Is.EqualTo("restricted"), then.Text);
        Assert.That(then.Body.GetProperty("asOf").GetString(), Is.EqualTo("2021-01-01"));
        var bad = Problem(await Check("MARKET-33", new { uscc = OldUscc }, "consumption-restriction", asOf: "2021-13-01"), HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(bad.GetProperty("field").GetString(), Is.EqualTo("asOf"));
    }

    [Test]
    public async Task An_agency_whose_kind_does_not_enforce_the_measure_is_refused_with_403_naming_it()
    {
        var food = Problem(await Check("FOOD-35", new { ric = JdRep }, "serving-as-legal-representative"), HttpStatusCode.Forbidden, "forbidden");
        Assert.That(food.GetProperty("measure").GetString(), Is.EqualTo("serving-as-legal-representative"));
        Assert.That(food.GetProperty("detail").GetString(), Does.Contain("serving-as-legal-representative").And.Contain("food-safety"));
        var nobody = Problem(await Check("MARKET-33", new { uscc = JdUscc }, "credit-restriction"), HttpStatusCode.Forbidden, "forbidden");
        Assert.That(nobody.GetProperty("measure").GetString(), Is.EqualTo("credit-restriction"));
        var court = Problem(await Post(_court, "/api/checks", new { subject = new { uscc = JdUscc }, measure = "procurement-exclusion" }),
            HttpStatusCode.Forbidden, "forbidden");
        Assert.That(court.GetProperty("scope").GetString(), Is.EqualTo("subjects:check"), "a court does not hold the scope at all");
    }

    [Test]
    public async Task An_unknown_measure_is_a_400_naming_it()
    {
        var problem = Problem(await Check("MARKET-33", new { uscc = JdUscc }, "export-ban"), HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(problem.GetProperty("field").GetString(), Is.EqualTo("measure"));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("'export-ban'").And.Contain("procurement-exclusion"));
    }

    [TestCase("uscc", "9134112215678901XD")]
    [TestCase("uscc", "91341122156789")]
    [TestCase("ric", "34112219780512361Y")]
    [TestCase("ric", "99112219780512361X")]
    public async Task An_invalid_identifier_is_a_400_with_the_reason_from_the_identifier_rules(string scheme, string value)
    {
        var expected = (scheme == "uscc" ? Uscc.Check(value) : ResidentIdNumber.Check(value)).Reason!;
        var problem = Problem(await Check("MARKET-33", new Dictionary<string, string> { [scheme] = value }, "consumption-restriction"),
            HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(problem.GetProperty("field").GetString(), Is.EqualTo($"subject.{scheme}"));
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo($"subject.{scheme}: {expected}"));
    }

    [Test]
    public async Task A_masked_ID_number_a_bad_hub_id_and_no_or_two_keys_are_400_naming_the_field()
    {
        var masked = Problem(await Check("MARKET-33", new { ric = ResidentIdNumber.MaskNumber(JdRep) }, "consumption-restriction"), HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(masked.GetProperty("field").GetString(), Is.EqualTo("subject.ric"));
        var hubId = Problem(await Check("MARKET-33", new { hubId = "not-a-hub-id" }, "consumption-restriction"), HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(hubId.GetProperty("field").GetString(), Is.EqualTo("subject.hubId"));
        var two = Problem(await Check("MARKET-33", new { uscc = JdUscc, ric = JdRep }, "consumption-restriction"), HttpStatusCode.BadRequest, "invalid-request");
        Assert.That((two.GetProperty("field").GetString(), two.GetProperty("detail").GetString()),
            Is.EqualTo(("subject", "subject: give exactly one of uscc, ric or hubId, not 2")));
        var none = Problem(await Check("MARKET-33", new { }, "consumption-restriction"), HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(none.GetProperty("field").GetString(), Is.EqualTo("subject"));
        var missing = Problem(await Post(_agencies["MARKET-33"], "/api/checks", new { measure = "consumption-restriction" }), HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(missing.GetProperty("field").GetString(), Is.EqualTo("subject"));
    }

    [Test]
    public async Task A_body_that_is_not_the_JSON_documented_is_a_400_or_415_problem()
    {
        var market = _agencies["MARKET-33"];
        using var malformed = await market.PostAsync("/api/checks", new StringContent("{\"subject\": {\"uscc\": ", Encoding.UTF8, "application/json"));
        var text = await malformed.Content.ReadAsStringAsync();
        var problem = Problem((malformed.StatusCode, JsonDocument.Parse(text).RootElement, text), HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(problem.GetProperty("detail").GetString(), Does.StartWith("malformed JSON at line 1"));
        Assert.That(malformed.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var wrongType = await market.PostAsync("/api/checks/batch", new StringContent("{\"measure\": \"consumption-restriction\", \"subjects\": 5}", Encoding.UTF8, "application/json"));
        text = await wrongType.Content.ReadAsStringAsync();
        Assert.That(Problem((wrongType.StatusCode, JsonDocument.Parse(text).RootElement, text), HttpStatusCode.BadRequest, "invalid-request")
            .GetProperty("field").GetString(), Is.EqualTo("subjects"));
        using var plain = await market.PostAsync("/api/checks", new StringContent("uscc=1", Encoding.UTF8, "text/plain"));
        text = await plain.Content.ReadAsStringAsync();
        Problem((plain.StatusCode, JsonDocument.Parse(text).RootElement, text), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Test]
    public async Task A_batch_is_answered_one_result_per_subject_in_the_order_asked()
    {
        var unknown1 = TestIdentifiers.Uscc(8191);
        var unknown2 = TestIdentifiers.Uscc(8192);
        var (status, batch, text) = await Post(_agencies["FOOD-35"], "/api/checks/batch", new
        {
            measure = "procurement-exclusion",
            subjects = new object[] { new { uscc = unknown1 }, new { uscc = JdUscc }, new { ric = JdRep }, new { hubId = _foodHubId }, new { uscc = unknown2 } },
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
        var results = batch.GetProperty("results").EnumerateArray().ToList();
        Assert.That(results.Select(r => r.GetProperty("position").GetInt32()), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(results.Select(r => r.GetProperty("subject").GetProperty("identifier").GetString()),
            Is.EqualTo(new[] { unknown1, JdUscc, ResidentIdNumber.MaskNumber(JdRep), _foodHubId, unknown2 }));
        Assert.That(results.Select(r => r.GetProperty("outcome").GetString()), Is.EqualTo(new[] { "allowed", "restricted", "allowed", "restricted", "allowed" }));
        Assert.That(results.Select(r => r.GetProperty("knownToHub").GetBoolean()), Is.EqualTo(new[] { false, true, true, true, false }));
        Assert.That(results.Select(r => Rules(r).FirstOrDefault()), Is.EqualTo(new[] { null, "JS-JD-PROCUREMENT", null, "JS-FOOD-PROCUREMENT", null }));
        Assert.That((batch.GetProperty("checked").GetInt32(), batch.GetProperty("restricted").GetInt32(), batch.GetProperty("notKnown").GetInt32()),
            Is.EqualTo((5, 2, 2)));
        Assert.That(text, Does.Not.Contain(JdRep));
    }

    [Test]
    public async Task A_batch_over_1000_or_with_an_unreadable_subject_is_a_400_naming_the_field()
    {
        var tooMany = Enumerable.Range(0, 1_001).Select(i => (object)new { uscc = TestIdentifiers.Uscc(200_000 + i) }).ToArray();
        var over = Problem(await Post(_agencies["FOOD-35"], "/api/checks/batch", new { measure = "procurement-exclusion", subjects = tooMany }),
            HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(over.GetProperty("field").GetString(), Is.EqualTo("subjects"));
        Assert.That(over.GetProperty("detail").GetString(), Does.Contain("1,000").And.Contain("1,001"));

        var bad = Problem(await Post(_agencies["FOOD-35"], "/api/checks/batch", new
        {
            measure = "procurement-exclusion",
            subjects = new object?[] { new { uscc = JdUscc }, new { ric = JdRep }, new { uscc = "9134112215678901XD" }, null },
        }), HttpStatusCode.BadRequest, "invalid-request");
        Assert.That(bad.GetProperty("field").GetString(), Is.EqualTo("subjects[2].uscc"));
        Assert.That(bad.GetProperty("invalid").EnumerateArray().Select(i => i.GetProperty("field").GetString()), Is.EqualTo(new[] { "subjects[2].uscc", "subjects[3]" }));
        Assert.That(bad.GetProperty("detail").GetString(), Does.Contain(Uscc.Check("9134112215678901XD").Reason!));
    }

    [Test]
    public async Task Every_check_is_on_the_audit_log_each_subject_of_a_batch_and_the_refusals_too()
    {
        using var auditor = await _hub.ClientAsAsync("auditor:checks");
        var (status, _, text) = await Check("LABOUR-32", new { uscc = JdUscc }, "public-funding-exclusion");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
        var single = await auditor.GetFromJsonAsync<JsonElement>($"/api/audit?subject={_jdHubId}&limit=1000");
        var entry = single.EnumerateArray().First(e => e.GetProperty("action").GetString() == "subjects.check" && e.GetProperty("principal").GetString() == "LABOUR-32");
        Assert.That(entry.GetProperty("outcome").GetString(), Is.EqualTo("allowed"));
        Assert.That(entry.GetProperty("scope").GetString(), Is.EqualTo("subjects:check"));
        Assert.That(entry.GetProperty("detail").GetString(), Does.Contain("public-funding-exclusion").And.Contain(JdUscc));

        var (batchStatus, _, batchText) = await Post(_agencies["ENV-44"], "/api/checks/batch",
            new { measure = "procurement-exclusion", subjects = new object[] { new { ric = JdRep }, new { uscc = JdUscc } } });
        Assert.That(batchStatus, Is.EqualTo(HttpStatusCode.OK), batchText);
        var latest = (await auditor.GetFromJsonAsync<JsonElement>("/api/audit?limit=1000")).EnumerateArray()
            .Where(e => e.GetProperty("principal").GetString() == "ENV-44").ToList();
        var summary = latest.Single(e => e.GetProperty("action").GetString() == "subjects.check-batch");
        Assert.That(summary.GetProperty("detail").GetString(), Does.Contain("2 subjects for procurement-exclusion").And.Contain("1 restricted"));
        var batchId = summary.GetProperty("detail").GetString()!.Split(' ', ':')[1];
        var perSubject = latest.Where(e => e.GetProperty("action").GetString() == "subjects.check"
                                           && e.GetProperty("detail").GetString()!.StartsWith($"batch {batchId}, ", StringComparison.Ordinal)).ToList();
        Assert.That(perSubject.Select(e => (e.GetProperty("outcome").GetString(), e.GetProperty("detail").GetString()![..$"batch {batchId}, 1 of 2".Length])),
            Is.EquivalentTo(new[] { ("allowed", $"batch {batchId}, 1 of 2"), ("restricted", $"batch {batchId}, 2 of 2") }));
        Assert.That(perSubject.Select(e => e.GetProperty("subjectId").GetString()), Does.Contain(_jdHubId));
        Assert.That(string.Join("\n", latest.Select(e => e.GetProperty("detail").GetString())), Does.Not.Contain(JdRep), "ID numbers masked on the log");

        Problem(await Check("ENV-44", new { uscc = JdUscc }, "food-production-licence"), HttpStatusCode.Forbidden, "forbidden");
        var refused = await Eventually.Get(async () => (await auditor.GetFromJsonAsync<JsonElement>("/api/audit?limit=1000")).EnumerateArray()
            .Where(e => e.GetProperty("principal").GetString() == "ENV-44" && e.GetProperty("outcome").GetString() == "refused-forbidden")
            .Select(e => new Box(e.GetProperty("detail").GetString()!)).FirstOrDefault(), "the refusal on the audit log");
        Assert.That(refused.Value, Does.Contain("food-production-licence"));
    }
}
