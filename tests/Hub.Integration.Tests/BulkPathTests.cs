using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Testing;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The bulk path in server mode, through the real RabbitMQ and PostgreSQL: a batch message published by a court as its
/// own broker user is applied record by record like single messages; the HTTP bulk door answers per notice and the
/// accepted notices all reach the index.
/// </summary>
[NonParallelizable]
public sealed class BulkPathTests
{
    private ServerHub _server = default!;
    private HttpClient _court = default!;
    private HttpClient _operator = default!;
    private RawBroker _observer = default!;
    private string _rejected = "";

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _server = await ServerHub.StartAsync();
        _court = await _server.ClientAsync(Court);
        _operator = await _server.ClientAsync("operator:test");
        _observer = await _server.ObserverAsync();
        _rejected = await _observer.SubscribeEventsAsync("rejected.*");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private static JsonObject Listing(string id, int revision, string uscc) => new()
    {
        ["source"] = new JsonObject { ["agencyCode"] = Court, ["sourceRecordId"] = id, ["revision"] = revision, ["recordedAt"] = "2026-06-11T08:00:00Z" },
        ["legalBasis"] = "JD-4",
        ["caseNumber"] = $"(2026)皖1122执{id}号",
        ["enforcingCourt"] = "来安县人民法院",
        ["subject"] = new JsonObject { ["kind"] = "Organization", ["name"] = $"安徽批量建设工程有限公司{id}", ["uscc"] = uscc },
        ["decisionDate"] = "2026-06-11",
    };

    private async Task<JsonElement?> Subject(string uscc)
    {
        using var response = await _court.GetAsync($"/api/subjects?uscc={uscc}");
        return response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    private readonly List<JsonElement> _seen = [];

    /// <summary>The RecordRejected of a record, from those read off the queue so far (others are kept for later asks).</summary>
    private async Task<JsonElement> RejectedEvent(string sourceId, int revision) =>
        (await Eventually.Get(async () =>
        {
            while (await _observer.NextAsync(_rejected, _ => true) is { } e) _seen.Add(e);
            return _seen.Where(m => m.GetProperty("sourceRecordId").GetString() == sourceId && m.GetProperty("revision").GetInt32() == revision)
                .Select(m => new Box(m)).FirstOrDefault();
        }, $"RecordRejected of {sourceId} revision {revision}")).Value;

    private sealed record Box(JsonElement Value);

    [Test]
    public async Task A_batch_a_court_publishes_with_an_invalid_record_a_duplicate_and_a_stale_revision_is_applied_record_by_record()
    {
        var broker = await _server.AgencyAsync(Court);
        var batch = new JsonObject
        {
            ["records"] = new JsonArray(
                Listing("BK-1", 2, TestIdentifiers.Uscc(9101)),
                Listing("BK-2", 1, "9134112215678901XD"),             // wrong check character
                Listing("BK-1", 2, TestIdentifiers.Uscc(9101)),       // duplicate of the first
                Listing("BK-1", 1, TestIdentifiers.Uscc(9101)),       // stale revision
                Listing("BK-3", 1, TestIdentifiers.Uscc(9103))),
        };

        await ServerHub.PublishAsync(broker, Court, "judgment-defaulter-listed-batch", batch.ToJsonString());

        Assert.That((await RejectedEvent("BK-2", 1)).GetProperty("reasonCode").GetString(), Is.EqualTo("invalid-identifier"));
        Assert.That((await RejectedEvent("BK-1", 1)).GetProperty("reasonCode").GetString(), Is.EqualTo("stale-revision"));
        var first = await Eventually.Get(async () => await Subject(TestIdentifiers.Uscc(9101)) is { } s ? new Box(s) : null, "BK-1 in the index");
        await Eventually.Get(async () => await Subject(TestIdentifiers.Uscc(9103)) is { } s ? new Box(s) : null, "BK-3 in the index");
        Assert.That(first.Value.GetProperty("listings").GetArrayLength(), Is.EqualTo(1), "the duplicate and the stale revision listed nothing");

        var quarantine = await _operator.GetFromJsonAsync<JsonElement>($"/api/operator/quarantine?agency={Court}");
        var ours = quarantine.EnumerateArray().Where(q => q.GetProperty("sourceRecordId").GetString()!.StartsWith("BK-", StringComparison.Ordinal))
            .Select(q => $"{q.GetProperty("sourceRecordId").GetString()}/{q.GetProperty("revision").GetInt32()} {q.GetProperty("reasonCode").GetString()}")
            .Order(StringComparer.Ordinal);
        Assert.That(ours, Is.EqualTo(new[] { "BK-1/1 stale-revision", "BK-2/1 invalid-identifier" }));
        Assert.That(await _observer.CountAsync("hub.aggregator.bulk_error"), Is.Zero, "nothing failed whole");
    }

    [Test]
    public async Task A_record_of_a_batch_naming_another_agency_is_quarantined_as_spoofed_and_the_rest_applies()
    {
        var broker = await _server.AgencyAsync(Court);
        var spoofed = Listing("BK-S1", 1, TestIdentifiers.Uscc(9111));
        spoofed["source"]!["agencyCode"] = "COURT-35-0102";
        var batch = new JsonObject { ["records"] = new JsonArray(spoofed, Listing("BK-S2", 1, TestIdentifiers.Uscc(9112))) };

        await ServerHub.PublishAsync(broker, Court, "judgment-defaulter-listed-batch", batch.ToJsonString());

        await Eventually.Get(async () => await Subject(TestIdentifiers.Uscc(9112)) is { } s ? new Box(s) : null, "BK-S2 in the index");
        var entry = await Eventually.Get(async () => (await _operator.GetFromJsonAsync<JsonElement>("/api/operator/quarantine")).EnumerateArray()
            .Where(q => q.GetProperty("sourceRecordId").GetString() == "BK-S1").Select(q => new Box(q)).FirstOrDefault(), "BK-S1 quarantined");
        Assert.That(entry.Value.GetProperty("reasonCode").GetString(), Is.EqualTo("spoofed-source"));
        Assert.That(await Subject(TestIdentifiers.Uscc(9111)), Is.Null);
    }

    [Test]
    public async Task The_bulk_door_answers_per_notice_and_every_accepted_notice_reaches_the_index()
    {
        var notices = Companies(1_200, first: 20_001).Cast<JsonNode>().ToList();
        notices[700]!.AsObject().Remove("caseCode");
        var body = string.Join('\n', notices.Select(n => n!.ToJsonString()));

        using var response = await _court.PostAsync($"/api/adapters/court/{Court}/notices/bulk",
            new StringContent(body, System.Text.Encoding.UTF8, "application/x-ndjson"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        var answer = JsonDocument.Parse(text).RootElement;
        Assert.That(answer.GetProperty("accepted").GetInt32(), Is.EqualTo(1_199));
        Assert.That(answer.GetProperty("rejected").GetInt32(), Is.EqualTo(1));
        var refused = answer.GetProperty("results")[700];
        Assert.That((refused.GetProperty("position").GetInt32(), refused.GetProperty("status").GetString(), refused.GetProperty("reason").GetString()),
            Is.EqualTo((701, "rejected", "caseCode is missing")));
        var auditor = await _server.ClientAsync("auditor:test");
        var audited = await Eventually.Get(async () => (await auditor.GetFromJsonAsync<JsonElement>("/api/audit?limit=1000")).EnumerateArray()
            .Where(a => a.GetProperty("action").GetString() == "court-notices.submit-bulk").Select(a => new Box(a)).FirstOrDefault(), "the request on the audit log");
        Assert.That(audited.Value.GetProperty("detail").GetString(), Is.EqualTo($"1199 accepted, 1 rejected, 0 failed of 1200 for {Court}"));
        foreach (var i in new[] { 20_001, 20_600, 21_200 })
            await Eventually.Get(async () => await Subject(TestIdentifiers.Uscc(i)) is { } s ? new Box(s) : null, $"BENCH-{i} in the index", seconds: 60);
        Assert.That(await Subject(TestIdentifiers.Uscc(20_701)), Is.Null, "the refused notice was not sent");
    }

    [Test]
    public async Task The_bulk_door_refuses_another_courts_code_and_a_caller_without_the_scope()
    {
        using var other = await _court.PostAsync("/api/adapters/court/COURT-35-0102/notices/bulk", JsonContent.Create(new[] { Company("X-1") }));
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using var op = await _operator.PostAsync($"/api/adapters/court/{Court}/notices/bulk", JsonContent.Create(new[] { Company("X-2") }));
        Assert.That(op.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
