using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Cli;
using Hub.Host.Security;
using Hub.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The HTTP doors on the embedded default, through the whole pipeline: the first start's API keys, 401 and 403 answers
/// that name what is missing, person lookups kept out of URLs and masked by scope, limits on a submission, and the
/// audit log of it all.
/// </summary>
[NonParallelizable]
public sealed class AccessTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-access-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _anonymous = default!;
    private Dictionary<string, string> _firstKeys = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(HubFactory.Embedded(_file));
        _anonymous = _hub.CreateClient();
        await Eventually.Get(async () => (await _anonymous.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
        // the development settings name the principals that get a key at first start
        _firstKeys = (await File.ReadAllLinesAsync(_hub.BootstrapFile)).Where(l => !l.StartsWith('#'))
            .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1]);
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _anonymous.Dispose();
        await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    private HttpClient As(string principal)
    {
        var client = _hub.CreateClient();
        client.DefaultRequestHeaders.Add(HubAuthenticationHandler.ApiKeyHeader, _firstKeys[principal]);
        return client;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
        return JsonDocument.Parse(text).RootElement;
    }

    [Test]
    public void The_first_start_makes_a_key_for_each_bootstrap_principal_kept_only_by_its_hash_and_readable_only_by_its_owner()
    {
        Assert.That(_firstKeys.Keys, Is.EquivalentTo(new[] { Court, "operator:local", "auditor:local" }));
        if (!OperatingSystem.IsWindows())
            Assert.That(File.GetUnixFileMode(_hub.BootstrapFile), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var stored = _hub.Services.GetRequiredService<IndexDatabase>().ApiKeysAsync(CancellationToken.None).GetAwaiter().GetResult();
        Assert.That(stored.Select(k => k.KeyHash), Does.Contain(ApiKeyService.Hash(_firstKeys[Court])));
        Assert.That(stored.Select(k => k.KeyHash), Does.Not.Contain(_firstKeys[Court]));
    }

    [Test]
    public async Task Without_credentials_every_api_door_answers_401_and_a_wrong_key_says_so()
    {
        foreach (var (method, path) in new[] { ("POST", $"/api/adapters/court/{Court}/notices"), ("GET", $"/api/subjects?uscc={CompanyUscc}"),
                     ("POST", "/api/subjects/search"), ("GET", "/api/subjects/0000/history"), ("GET", "/api/subjects/0000/as-of"),
                     ("GET", "/api/operator/quarantine"), ("GET", "/api/audit/verify"), ("POST", "/api/checks"), ("POST", "/api/checks/batch") })
        {
            using var response = await _anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") });
            var problem = await Problem(response, HttpStatusCode.Unauthorized);
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("X-Api-Key"), path);
            Assert.That(problem.GetProperty("type").GetString(), Is.EqualTo("urn:hub:problem:unauthenticated"));
        }
        using var wrong = new HttpRequestMessage(HttpMethod.Get, $"/api/subjects?uscc={CompanyUscc}");
        wrong.Headers.Add(HubAuthenticationHandler.ApiKeyHeader, "hub_not-a-key-the-hub-made");
        var bad = await Problem(await _anonymous.SendAsync(wrong), HttpStatusCode.Unauthorized);
        Assert.That(bad.GetProperty("detail").GetString(), Is.EqualTo("the API key is not valid (unknown or revoked)"));
        using var health = await _anonymous.GetAsync("/health/ready");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), "health stays open to probes");
    }

    [Test]
    public async Task A_caller_without_the_scope_gets_403_naming_it_and_the_refusal_is_audited()
    {
        using var court = As(Court);
        var problem = await Problem(await court.GetAsync("/api/operator/quarantine"), HttpStatusCode.Forbidden);
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("this needs the scope 'operate', which COURT-34-1122 does not hold"));
        Assert.That(problem.GetProperty("scope").GetString(), Is.EqualTo("operate"));

        using var other = await court.PostAsJsonAsync("/api/adapters/court/COURT-35-0102/notices", Company("FORGED-1"));
        var forged = await Problem(other, HttpStatusCode.Forbidden);
        Assert.That(forged.GetProperty("detail").GetString(), Is.EqualTo("you are authenticated as COURT-34-1122; you may not act for agency 'COURT-35-0102'"));

        var audit = _hub.Services.GetRequiredService<IndexDatabase>();
        var refusals = await Eventually.Get(async () =>
        {
            var rows = (await audit.AuditLatestAsync(1000, CancellationToken.None)).Where(r => r.Outcome == "refused-forbidden" && r.Principal == Court).ToList();
            return rows.Count >= 2 ? rows : null;
        }, "both refusals on the audit log");
        Assert.That(refusals.Select(r => r.Action), Is.SupersetOf(new[] { "GET /api/operator/quarantine", "POST /api/adapters/court/{agency}/notices" }));
        Assert.That(refusals.Single(r => r.Action.StartsWith("POST", StringComparison.Ordinal)).Detail, Does.Contain("COURT-35-0102"));
    }

    [Test]
    public async Task A_person_is_looked_up_by_POST_masked_unless_the_caller_may_see_whole_numbers_and_every_disclosure_is_audited()
    {
        using var court = As(Court);
        using var post = await court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", Company("ACC-1", uscc: Hub.Testing.TestIdentifiers.Uscc(3101)));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());

        var inUrl = await Problem(await court.GetAsync($"/api/subjects?ric={RepRic}"), HttpStatusCode.BadRequest);
        Assert.That(inUrl.GetProperty("detail").GetString(), Does.Contain("POST /api/subjects/search"));
        Assert.That(inUrl.GetProperty("detail").GetString(), Does.Not.Contain(RepRic));

        var person = (await Eventually.Get(async () =>
        {
            using var r = await court.PostAsJsonAsync("/api/subjects/search", new { ric = RepRic });
            return r.IsSuccessStatusCode ? new Box(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone()) : null;
        }, "the representative in the index")).Value;
        Assert.That(person.GetProperty("identifiers")[0].GetProperty("value").GetString(), Is.EqualTo("3411221978****361X"));

        using var auditor = As("auditor:local");
        using var full = await auditor.PostAsJsonAsync("/api/subjects/search", new { ric = RepRic });
        var fullView = JsonDocument.Parse(await full.Content.ReadAsStringAsync()).RootElement;
        Assert.That(fullView.GetProperty("identifiers")[0].GetProperty("value").GetString(), Is.EqualTo(RepRic), "ids:read-full");

        // who saw the person: hub audit show, with the number masked everywhere in the log
        var hubId = person.GetProperty("hubId").GetString()!;
        var (code, shown, err) = await Cli(auditor, "audit", "show", "--subject", hubId);
        Assert.That(code, Is.Zero, err);
        var lines = shown.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Count(l => l.Contains($"\t{Court}\t{Court}\tsubjects.lookup\tdisclosed\tby ric 3411221978****361X", StringComparison.Ordinal)), Is.EqualTo(1), shown);
        Assert.That(lines.Count(l => l.Contains("\tauditor:local\t-\tsubjects.lookup\tdisclosed\t", StringComparison.Ordinal) && l.Contains("whole ID numbers shown", StringComparison.Ordinal)), Is.EqualTo(1), shown);
        var everything = await _hub.Services.GetRequiredService<IndexDatabase>().AuditLatestAsync(1000, CancellationToken.None);
        Assert.That(everything.Any(r => (r.Detail ?? "").Contains(RepRic, StringComparison.Ordinal)), Is.False, "no whole ID number anywhere in the audit log");

        var (verifyCode, verified, _) = await Cli(auditor, "audit", "verify");
        Assert.That(verifyCode, Is.Zero, verified);
        Assert.That(verified, Does.StartWith("intact: "));
    }

    [Test]
    public async Task A_company_lookup_puts_its_legal_representative_on_record_too()
    {
        using var court = As(Court);
        var uscc = Hub.Testing.TestIdentifiers.Uscc(3102);
        await court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", Company("ACC-2", uscc: uscc, repName: "赵六", repRic: "11010519491231002X"));
        var company = (await Eventually.Get(async () =>
        {
            using var r = await court.GetAsync($"/api/subjects?uscc={uscc}");
            return r.IsSuccessStatusCode ? new Box(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone()) : null;
        }, "the company")).Value;
        var rep = company.GetProperty("relations")[0].GetProperty("person").GetProperty("hubId").GetString()!;
        var db = _hub.Services.GetRequiredService<IndexDatabase>();
        var entries = await db.AuditOfSubjectAsync(rep, 100, CancellationToken.None);
        Assert.That(entries.Any(e => e.Outcome == "disclosed-alongside" && e.Principal == Court && e.Detail!.Contains(company.GetProperty("hubId").GetString()!, StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task Operators_make_and_revoke_keys_and_a_revoked_key_stops_at_once()
    {
        using var op = As("operator:local");
        var (code, made, err) = await Cli(op, "keys", "add", "FOOD-35", "--label", "food bureau test");
        Assert.That(code, Is.Zero, err);
        var (_, id, key) = made.Trim().Split('\t') is [var p, var i, var k] ? (p, i, k) : throw new AssertionException(made);
        using var food = _hub.CreateClient();
        food.DefaultRequestHeaders.Add(HubAuthenticationHandler.ApiKeyHeader, key);
        using var who = await food.GetAsync("/api/whoami");
        Assert.That(JsonDocument.Parse(await who.Content.ReadAsStringAsync()).RootElement.GetProperty("principal").GetString(), Is.EqualTo("FOOD-35"));

        var postAsBureau = await Problem(await food.PostAsJsonAsync("/api/adapters/court/FOOD-35/notices", Company("B-1")), HttpStatusCode.Forbidden);
        Assert.That(postAsBureau.GetProperty("detail").GetString(), Does.Contain("'court-notices:publish'"));

        Assert.That((await Cli(op, "keys", "revoke", id)).Code, Is.Zero);
        await Problem(await food.GetAsync("/api/whoami"), HttpStatusCode.Unauthorized);
        Assert.That((await Cli(op, "keys", "revoke", id)).Code, Is.EqualTo(1), "revoking twice is a clear 404");
        Assert.That((await Cli(op, "keys", "add", "COURT-99-9999")).Code, Is.EqualTo(1), "only registered principals get keys");
    }

    [Test]
    public async Task A_body_over_the_limit_or_with_too_many_notices_is_refused_with_413_before_anything_is_sent()
    {
        using var court = As(Court);
        var big = new StringContent("[" + new string(' ', 10 * 1024 * 1024) + "]", Encoding.UTF8, "application/json");
        var tooBig = await Problem(await court.PostAsync($"/api/adapters/court/{Court}/notices", big), HttpStatusCode.RequestEntityTooLarge);
        Assert.That(tooBig.GetProperty("detail").GetString(), Does.Contain("at most 10,485,760 bytes"));

        // no declared length: refused while it streams in
        var streamed = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("[" + new string(' ', 10 * 1024 * 1024 + 10) + "]")));
        streamed.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var chunked = new HttpRequestMessage(HttpMethod.Post, $"/api/adapters/court/{Court}/notices") { Content = streamed };
        chunked.Headers.TransferEncodingChunked = true;
        await Problem(await court.SendAsync(chunked), HttpStatusCode.RequestEntityTooLarge);

        var many = new JsonArray(Enumerable.Range(0, 5_001).Select(i => (JsonNode)Company($"M-{i}")).ToArray());
        var tooMany = await Problem(await court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", many), HttpStatusCode.RequestEntityTooLarge);
        Assert.That(tooMany.GetProperty("detail").GetString(), Is.EqualTo("at most 5,000 notices per request; this body holds 5,001: send it in parts"));
        var refused = await Eventually.Get(async () =>
            (await _hub.Services.GetRequiredService<IndexDatabase>().AuditLatestAsync(1000, CancellationToken.None))
            .Where(r => r.Action == "court-notices.submit" && r.Outcome == "refused").ToList() is { Count: 3 } rows ? rows : null, "three refused submissions on record");
        Assert.That(refused.Select(r => r.Detail), Has.All.StartWith("413 for COURT-34-1122"));
    }

    [Test]
    public void Every_api_endpoint_declares_the_scope_it_needs()
    {
        var endpoints = _hub.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true).ToList();
        Assert.That(endpoints, Is.Not.Empty);
        var undeclared = endpoints.Where(e => e.Metadata.GetMetadata<RequiredScope>() is null).Select(e => e.DisplayName).ToList();
        Assert.That(undeclared, Is.Empty);
        var anonymous = endpoints.Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null).Select(e => e.DisplayName).ToList();
        Assert.That(anonymous, Is.Empty, "no /api endpoint lets the anonymous in");
    }

    private sealed record Box(JsonElement Value);

    private static async Task<(int Code, string Stdout, string Stderr)> Cli(HttpClient client, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HubCli.RunAsync(args, stdout, stderr, client, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
