using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Storage;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The operator console's API over HTTP on the embedded default: the page and its scope, queue figures from the Hub's
/// own counters beside the outbox backlog, quarantine grouped by reason and agency, release through the aggregator and
/// final rejection (both audited), heartbeats, and the clear 4xx answers of issue 12.
/// </summary>
[NonParallelizable]
public sealed class ConsoleTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-console-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _court = default!;
    private HttpClient _operator = default!;

    /// <summary>A removal that comes before its listing waits a second, then goes to quarantine (no-such-listing).</summary>
    public static Dictionary<string, string?> ShortHeldRemovals(Dictionary<string, string?> settings)
    {
        settings["Hub:Aggregator:HeldRemovalDeadline"] = "00:00:01";
        settings["Hub:Aggregator:HeldRemovalSweepInterval"] = "00:00:00.500";
        return settings;
    }

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(ShortHeldRemovals(HubFactory.Embedded(_file)));
        _court = await _hub.ClientAsAsync(Court);
        _operator = await _hub.ClientAsAsync("operator:alice");
        await Eventually.Get(async () => (await _court.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _court.Dispose();
        _operator.Dispose();
        await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<JsonElement> Get(string path) => await Json(await _operator.GetAsync(path), HttpStatusCode.OK);

    private async Task<JsonElement> Post(string path, object? body, HttpStatusCode expected) =>
        await Json(await _operator.PostAsJsonAsync(path, body ?? new { }), expected);

    private async Task Submit(string what, params JsonNode[] notices)
    {
        using var response = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/{what}", new JsonArray(notices));
        Assert.That(response.IsSuccessStatusCode, Is.True, await response.Content.ReadAsStringAsync());
    }

    private async Task<List<JsonElement>> Entries(string reasonCode) =>
        (await Get($"/api/operator/console/quarantine/entries?reasonCode={reasonCode}&agency={Court}")).EnumerateArray().ToList();

    private async Task<long> GroupCount(string reasonCode) =>
        (await Get("/api/operator/console/quarantine")).GetProperty("groups").EnumerateArray()
        .Where(g => g.GetProperty("reasonCode").GetString() == reasonCode && g.GetProperty("agencyCode").GetString() == Court)
        .Select(g => g.GetProperty("count").GetInt64()).SingleOrDefault();

    private async Task<JsonElement?> Subject(string uscc)
    {
        using var r = await _court.GetAsync($"/api/subjects?uscc={uscc}");
        return r.IsSuccessStatusCode ? JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone() : null;
    }

    private sealed record Box(JsonElement Value);

    private static string WrongCheck(string uscc) => uscc[..17] + (uscc[17] == '0' ? '1' : '0');

    [Test]
    public async Task The_page_is_served_to_anyone_and_its_figures_only_to_operators()
    {
        using var anonymous = _hub.CreateClient();
        using var page = await anonymous.GetAsync("/console");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        Assert.That(page.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("default-src 'none'").And.Contain("script-src 'self'"));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("/console/console.js").And.Contain("id=\"api-key\""));
        foreach (var asset in new[] { "/console/console.js", "/console/console.css" })
        {
            using var r = await anonymous.GetAsync(asset);
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), asset);
        }

        using var noKey = await anonymous.GetAsync("/api/operator/console/queues");
        Assert.That(noKey.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var court = await _court.GetAsync("/api/operator/console/quarantine");
        var problem = await Json(court, HttpStatusCode.Forbidden);
        Assert.That(problem.GetProperty("scope").GetString(), Is.EqualTo("operate"));
    }

    [Test]
    public async Task Queues_on_the_embedded_default_come_from_the_Hubs_own_counters_beside_the_outbox_backlog()
    {
        await Submit("notices", Company("CON-Q-1", uscc: TestIdentifiers.Uscc(8101)), Company("CON-Q-2", uscc: TestIdentifiers.Uscc(8102)));
        await Eventually.Get(async () => await Subject(TestIdentifiers.Uscc(8102)) is { } s ? new Box(s) : null, "the notices applied");

        var view = await Get("/api/operator/console/queues");
        var queues = view.GetProperty("queues");
        Assert.That(queues.GetProperty("source").GetString(), Is.EqualTo("counters"));
        Assert.That(queues.GetProperty("problem").ValueKind, Is.EqualTo(JsonValueKind.Null), "no broker to miss on the embedded default");
        var aggregator = queues.GetProperty("queues").EnumerateArray().Single();
        Assert.That(aggregator.GetProperty("name").GetString(), Is.EqualTo("hub.aggregator"));
        Assert.That(aggregator.GetProperty("ready").GetInt64(), Is.Zero, "both notices were received");
        Assert.That(aggregator.GetProperty("publishRate").GetDouble(), Is.GreaterThan(0), "published within the rate window");
        Assert.That(aggregator.GetProperty("isError").GetBoolean(), Is.False);
        var outbox = view.GetProperty("outbox");
        Assert.That(outbox.GetProperty("pending").GetInt64(), Is.GreaterThanOrEqualTo(0));
        Assert.That(view.GetProperty("quarantineWaiting").GetInt64(), Is.GreaterThanOrEqualTo(0));

        var failed = await Get("/api/operator/console/failed");
        Assert.That(failed.GetProperty("available").GetBoolean(), Is.False);
        Assert.That(failed.GetProperty("problem").GetString(), Does.Contain("in-memory"));
        await Post("/api/operator/console/failed/replay-all", null, HttpStatusCode.Conflict);
    }

    [Test]
    public async Task A_removal_quarantined_for_want_of_its_listing_is_released_once_the_listing_came_and_ends_it()
    {
        var uscc = TestIdentifiers.Uscc(8201);
        await Submit("removals", Removal("CON-REM-1", "CON-LIST-1"));
        var entry = (await Eventually.Get(async () => (await Entries("no-such-listing"))
            .FirstOrDefault(e => e.GetProperty("sourceRecordId").GetString() == "CON-REM-1") is { ValueKind: JsonValueKind.Object } e ? new Box(e) : null,
            "the held removal quarantined past its deadline")).Value;
        var id = entry.GetProperty("id").GetString()!;
        Assert.That(await GroupCount("no-such-listing"), Is.GreaterThanOrEqualTo(1));

        await Submit("notices", Company("CON-LIST-1", uscc: uscc));
        await Eventually.Get(async () => await Subject(uscc) is { } s ? new Box(s) : null, "the listing applied");

        var released = await Post($"/api/operator/console/quarantine/{id}/release", null, HttpStatusCode.OK);
        Assert.That(released.GetProperty("outcome").GetString(), Is.EqualTo("applied"));
        var subject = (await Eventually.Get(async () => await Subject(uscc) is { } s &&
            s.GetProperty("listings").EnumerateArray().Any(l => l.GetProperty("status").GetString() == "removed") ? new Box(s) : null, "the listing removed")).Value;
        Assert.That(subject.GetProperty("listings").EnumerateArray().Select(l => l.GetProperty("status").GetString()), Has.All.EqualTo("removed"));
        Assert.That((await Entries("no-such-listing")).Select(e => e.GetProperty("id").GetString()), Does.Not.Contain(id), "no longer waiting");

        var again = await Post($"/api/operator/console/quarantine/{id}/release", null, HttpStatusCode.Conflict);
        Assert.That(again.GetProperty("detail").GetString(), Does.Contain("released already"));
        var decided = (await Get("/api/operator/console/quarantine/entries?decided=true")).EnumerateArray().Single(e => e.GetProperty("id").GetString() == id);
        Assert.That(decided.GetProperty("decision").GetString(), Is.EqualTo("released"));
        Assert.That(decided.GetProperty("decidedBy").GetString(), Is.EqualTo("operator:alice"));

        var audit = await _hub.Services.GetRequiredService<IndexDatabase>().AuditLatestAsync(200, CancellationToken.None);
        Assert.That(audit.Any(a => a.Action == "quarantine.release" && a.Outcome == "released" && a.Detail!.Contains(id)), Is.True);
    }

    [Test]
    public async Task A_record_the_rules_still_refuse_stays_in_quarantine_and_one_rejected_for_good_is_told_to_its_agency()
    {
        // a wrong check character: refused by rule, and still refused when released
        await Submit("notices", Company("CON-BAD-1", uscc: WrongCheck(TestIdentifiers.Uscc(8301))), Company("CON-BAD-2", uscc: WrongCheck(TestIdentifiers.Uscc(8302))));
        var entries = (await Eventually.Get(async () => await Entries("invalid-identifier") is { Count: >= 2 } e &&
            e.Any(x => x.GetProperty("sourceRecordId").GetString() == "CON-BAD-2") ? e : null, "both notices quarantined"));
        var first = entries.Single(e => e.GetProperty("sourceRecordId").GetString() == "CON-BAD-1").GetProperty("id").GetString()!;
        var second = entries.Single(e => e.GetProperty("sourceRecordId").GetString() == "CON-BAD-2").GetProperty("id").GetString()!;
        var before = await GroupCount("invalid-identifier");
        Assert.That(before, Is.GreaterThanOrEqualTo(2), "grouped by reason code and agency");

        var refused = await Post($"/api/operator/console/quarantine/{first}/release", null, HttpStatusCode.Conflict);
        Assert.That(refused.GetProperty("type").GetString(), Is.EqualTo("urn:hub:problem:refused-again"));
        Assert.That(refused.GetProperty("reasonCode").GetString(), Is.EqualTo("invalid-identifier"));
        Assert.That((await Entries("invalid-identifier")).Select(e => e.GetProperty("id").GetString()), Does.Contain(first), "still waiting, the same entry");

        var noReason = await Post($"/api/operator/console/quarantine/{second}/reject", new { reason = "  " }, HttpStatusCode.BadRequest);
        Assert.That(noReason.GetProperty("field").GetString(), Is.EqualTo("reason"));
        var rejected = await Post($"/api/operator/console/quarantine/{second}/reject", new { reason = "the court withdrew the notice" }, HttpStatusCode.OK);
        Assert.That(rejected.GetProperty("outcome").GetString(), Is.EqualTo("rejected"));
        await Post($"/api/operator/console/quarantine/{second}/reject", new { reason = "twice" }, HttpStatusCode.Conflict);
        await Post($"/api/operator/console/quarantine/{second}/release", null, HttpStatusCode.Conflict);
        Assert.That(await GroupCount("invalid-identifier"), Is.EqualTo(before - 1));
        await Post("/api/operator/console/quarantine/no-such-entry/release", null, HttpStatusCode.NotFound);
        await Post("/api/operator/console/quarantine/no-such-entry/reject", new { reason = "x" }, HttpStatusCode.NotFound);

        var db = _hub.Services.GetRequiredService<IndexDatabase>();
        var audit = await db.AuditLatestAsync(200, CancellationToken.None);
        Assert.That(audit.Any(a => a.Action == "quarantine.reject" && a.Detail!.Contains("the court withdrew the notice")), Is.True);
        Assert.That(audit.Any(a => a.Action == "quarantine.release" && a.Outcome == "refused-again" && a.Detail!.Contains(first)), Is.True);
        // the agency is told, through the outbox like every RecordRejected
        var told = await Eventually.Get(async () =>
        {
            await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_file}");
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT payload FROM outbox WHERE message_type = 'RecordRejected' AND payload LIKE '%rejected-by-operator%'";
            return await cmd.ExecuteScalarAsync() as string;
        }, "the RecordRejected of the rejection in the outbox");
        Assert.That(told, Does.Contain(second).And.Contain("the court withdrew the notice"));
    }

    [Test]
    public async Task Every_Hub_process_with_the_index_beats_and_is_shown_alive()
    {
        var instances = await Eventually.Get(async () => (await Get("/api/operator/console/services")).EnumerateArray().ToList() is { Count: > 0 } l ? l : null,
            "a heartbeat");
        var me = instances.Single(i => i.GetProperty("processId").GetInt32() == Environment.ProcessId);
        Assert.That(me.GetProperty("silent").GetBoolean(), Is.False);
        Assert.That(me.GetProperty("services").GetString(), Does.Contain("aggregator").And.Contain("court-adapter"));
        Assert.That(me.GetProperty("version").GetString(), Is.Not.Empty);

        // an adapter instance that stopped two minutes ago: silent, shown red
        var now = DateTimeOffset.FromUnixTimeSeconds(me.GetProperty("lastSeenAt").GetDateTimeOffset().ToUnixTimeSeconds());
        await _hub.Services.GetRequiredService<IndexDatabase>().BeatAsync(new HubInstanceRow
        {
            InstanceId = "adapter-host/4242/stopped", Services = "court-adapter", Host = "adapter-host", Version = "1.0.0", ProcessId = 4242,
            StartedAt = now.AddHours(-1), LastSeenAt = now.AddMinutes(-2),
        }, CancellationToken.None);
        var stopped = (await Get("/api/operator/console/services")).EnumerateArray().Single(i => i.GetProperty("instanceId").GetString() == "adapter-host/4242/stopped");
        Assert.That(stopped.GetProperty("silent").GetBoolean(), Is.True);
        Assert.That(stopped.GetProperty("silentForSeconds").GetDouble(), Is.GreaterThan(60));
    }

    [Test]
    public async Task Data_quality_counts_a_courts_notices_per_period_and_names_the_bad_field()
    {
        var before = (await Get("/api/operator/console/quality?period=week")).GetProperty("agencies").EnumerateArray()
            .Where(a => a.GetProperty("agencyCode").GetString() == Court).Select(a => a.GetProperty("received").GetInt64()).SingleOrDefault();
        var uscc = TestIdentifiers.Uscc(9401);
        await Submit("notices", Company("DQ-1", uscc: uscc), Company("DQ-1", uscc: uscc));   // the same notice twice: one duplicate

        var court = await Eventually.Get(async () => (await Get("/api/operator/console/quality?period=week")).GetProperty("agencies").EnumerateArray()
            .Where(a => a.GetProperty("agencyCode").GetString() == Court && a.GetProperty("received").GetInt64() >= before + 2)
            .Select(a => new Box(a)).SingleOrDefault(), "the notices counted");
        Assert.That(court.Value.GetProperty("province").GetString(), Is.EqualTo("34"));
        Assert.That(court.Value.GetProperty("duplicates").GetInt64(), Is.GreaterThanOrEqualTo(1));
        Assert.That(court.Value.GetProperty("concentration").GetBoolean(), Is.False, "the only agency of province 34 the registry knows");
        var report = await Get("/api/operator/console/quality?period=week");
        Assert.That(report.GetProperty("criticalTimes").EnumerateArray().Any(c => c.GetProperty("agencyCode").GetString() == Court), Is.True);

        var agencies = (await Get("/api/operator/console/agencies")).EnumerateArray().ToList();
        Assert.That(agencies.Single(a => a.GetProperty("agencyCode").GetString() == Court).GetProperty("lastArrivalAt").ValueKind, Is.Not.EqualTo(JsonValueKind.Null));
        Assert.That(agencies.Select(a => a.GetProperty("agencyCode").GetString()), Does.Contain("MARKET-35"), "every registered agency, those that never sent too");

        var badPeriod = await Json(await _operator.GetAsync("/api/operator/console/quality?period=year"), HttpStatusCode.BadRequest);
        Assert.That(badPeriod.GetProperty("field").GetString(), Is.EqualTo("period"));
        var badDate = await Json(await _operator.GetAsync("/api/operator/console/quality?period=day&date=26.11.2026"), HttpStatusCode.BadRequest);
        Assert.That(badDate.GetProperty("field").GetString(), Is.EqualTo("date"));
        using var asCourt = await _court.GetAsync("/api/operator/console/quality");
        Assert.That(asCourt.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "figures are for operators");
    }
}
