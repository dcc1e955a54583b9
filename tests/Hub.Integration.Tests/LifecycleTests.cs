using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Testing;

namespace Hub.Integration.Tests;

/// <summary>
/// Disputes and credit repair through the real RabbitMQ and PostgreSQL: a court and a food-safety bureau publish as
/// their own broker users to the exchanges the generated permissions let them write; subscribers read plain JSON
/// events; operators see the overdue disputes; the subject's view and history show what happened.
/// </summary>
[NonParallelizable]
public sealed class LifecycleTests
{
    private const string Court = "COURT-34-1122";
    private const string Food = "FOOD-35";

    private ServerHub _server = default!;
    private HttpClient _reader = default!;
    private RawBroker _subscriber = default!;
    private RawBroker _court = default!;
    private RawBroker _food = default!;
    private string _disputed = "", _resolved = "", _delisted = "";

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _server = await ServerHub.StartAsync();
        _subscriber = await _server.ObserverAsync();
        _disputed = await _subscriber.SubscribeEventsAsync("disputed.#");
        _resolved = await _subscriber.SubscribeEventsAsync("dispute-resolved.#");
        _delisted = await _subscriber.SubscribeEventsAsync("delisted.#", "expired.#");
        _reader = await _server.ClientAsync(Court);
        _court = await _server.AgencyAsync(Court);
        _food = await _server.AgencyAsync(Food);
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private static Task Publish(RawBroker broker, string agency, string kind, string body) => ServerHub.PublishAsync(broker, agency, kind, body);

    private async Task<JsonElement> Subject(string uscc) => await Eventually.Value<JsonElement>(async () =>
    {
        using var r = await _reader.GetAsync($"/api/subjects?uscc={uscc}");
        return r.IsSuccessStatusCode ? JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement : null;
    }, $"subject {uscc}");

    private async Task<JsonElement> Eventual(Func<JsonElement, bool> until, string uscc, string waitingFor) => await Eventually.Value<JsonElement>(async () =>
    {
        using var r = await _reader.GetAsync($"/api/subjects?uscc={uscc}");
        if (!r.IsSuccessStatusCode) return null;
        var s = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        return until(s) ? s : null;
    }, waitingFor);

    private async Task<JsonElement> Next(string queue, string listingId, string waitingFor) => await Eventually.Value<JsonElement>(
        () => _subscriber.NextAsync(queue, m => m.GetProperty("listingId").GetString() == listingId), waitingFor);

    [Test]
    public async Task A_court_disputes_a_listing_it_goes_overdue_and_revoking_it_annuls_the_listing_for_subscribers_and_history()
    {
        var uscc = TestIdentifiers.Uscc(7101);
        await Publish(_court, Court, "judgment-defaulter-listed", $$"""
            { "source": { "agencyCode": "{{Court}}", "sourceRecordId": "LC-1" }, "legalBasis": "JD-2", "caseNumber": "(2026)皖1122执4001号",
              "enforcingCourt": "来安县人民法院", "subject": { "kind": "Organization", "name": "滁州争议测试有限公司", "uscc": "{{uscc}}" },
              "decisionDate": "2026-06-20" }
            """);
        var listingId = (await Subject(uscc)).GetProperty("listings")[0].GetProperty("listingId").GetString()!;

        // filed on 5 November: due 20 November, so undecided today it is overdue
        await Publish(_court, Court, "listing-disputed", $$"""
            { "source": { "agencyCode": "{{Court}}", "sourceRecordId": "LC-1-D" }, "legalBasis": "JD-2", "listingSourceRecordId": "LC-1",
              "kind": "CorrectionRequest", "filedOn": "2026-11-05" }
            """);

        var disputed = await Next(_disputed, listingId, "SubjectDisputed");
        Assert.That(disputed.GetProperty("reviewDeadline").GetString(), Is.EqualTo("2026-11-20"));
        var shown = await Eventual(s => s.GetProperty("listings")[0].GetProperty("dispute").ValueKind == JsonValueKind.Object, uscc, "the dispute on the subject");
        var dispute = shown.GetProperty("listings")[0].GetProperty("dispute");
        Assert.That((dispute.GetProperty("kind").GetString(), dispute.GetProperty("overdue").GetBoolean()), Is.EqualTo(("CorrectionRequest", true)));
        Assert.That(shown.GetProperty("listings")[0].GetProperty("activeNow").GetBoolean(), Is.True, "a disputed listing stays in force");
        var overdue = await (await _server.ClientAsync("operator:test")).GetFromJsonAsync<JsonElement>("/api/operator/disputes?overdue=true");
        Assert.That(overdue.EnumerateArray().Select(d => (d.GetProperty("sourceRecordId").GetString(), d.GetProperty("overdue").GetBoolean())),
            Does.Contain(("LC-1-D", true)));

        await Publish(_court, Court, "dispute-resolved", $$"""
            { "source": { "agencyCode": "{{Court}}", "sourceRecordId": "LC-1-DR" }, "legalBasis": "JD-2", "listingSourceRecordId": "LC-1",
              "disputeSourceRecordId": "LC-1-D", "outcome": "Revoked", "decidedOn": "2026-11-26" }
            """);

        Assert.That((await Next(_resolved, listingId, "SubjectDisputeResolved")).GetProperty("outcome").GetString(), Is.EqualTo("Revoked"));
        var delisted = await Next(_delisted, listingId, "SubjectDelisted");
        Assert.That((delisted.GetProperty("status").GetString(), delisted.GetProperty("effectiveDate").GetString()), Is.EqualTo(("revoked", "2026-06-20")));
        var after = await Eventual(s => s.GetProperty("listings")[0].GetProperty("status").GetString() == "revoked", uscc, "the listing revoked");
        Assert.That(after.GetProperty("restricted").GetBoolean(), Is.False);

        var hubId = after.GetProperty("hubId").GetString();
        var history = await _reader.GetFromJsonAsync<JsonElement>($"/api/subjects/{hubId}/history");
        Assert.That(history.GetProperty("changes").EnumerateArray().Select(c => (c.GetProperty("change").GetString(), c.GetProperty("source").GetProperty("sourceRecordId").GetString())),
            Is.EqualTo(new[] { ("listed", "LC-1"), ("disputed", "LC-1-D"), ("dispute-resolved", "LC-1-DR"), ("revoked", "LC-1-DR") }));
        var asOf = await _reader.GetFromJsonAsync<JsonElement>($"/api/subjects/{hubId}/as-of?validAt=2026-07-01");
        Assert.That(asOf.GetProperty("restricted").GetBoolean(), Is.False, "as the Hub knows it now, the revoked listing was in force on no day");
    }

    [Test]
    public async Task A_food_safety_bureau_grants_credit_repair_through_the_broker_and_the_penalty_listing_ends()
    {
        var uscc = TestIdentifiers.Uscc(7102);
        await Publish(_food, Food, "administrative-penalty-recorded", $$"""
            { "source": { "agencyCode": "{{Food}}", "sourceRecordId": "LC-F-1" }, "legalBasis": "FOOD-SERIOUS", "decisionNumber": "闽食监罚〔2025〕31号",
              "category": "FoodSafety", "severity": "Serious", "subject": { "kind": "Organization", "name": "福州修复测试食品有限公司", "uscc": "{{uscc}}" },
              "decisionDate": "2025-05-10" }
            """);
        var listingId = (await Subject(uscc)).GetProperty("listings")[0].GetProperty("listingId").GetString()!;

        await Publish(_food, Food, "credit-repair-granted", $$"""
            { "source": { "agencyCode": "{{Food}}", "sourceRecordId": "LC-F-1-CR" }, "legalBasis": "FOOD-SERIOUS", "listingSourceRecordId": "LC-F-1",
              "grantedOn": "2026-11-20", "effectiveDate": "2026-11-21" }
            """);

        var delisted = await Next(_delisted, listingId, "SubjectDelisted");
        Assert.That((delisted.GetProperty("status").GetString(), delisted.GetProperty("reason").GetString(), delisted.GetProperty("effectiveDate").GetString()),
            Is.EqualTo(("repaired", "credit-repair", "2026-11-21")));
        var after = await Eventual(s => s.GetProperty("listings")[0].GetProperty("status").GetString() == "repaired", uscc, "the listing repaired");
        Assert.That(after.GetProperty("restricted").GetBoolean(), Is.False);
    }

    [Test]
    public async Task A_court_posts_a_dispute_and_its_decision_over_HTTP_and_the_mark_comes_and_goes()
    {
        var uscc = TestIdentifiers.Uscc(7103);
        async Task Post(string path, JsonNode body)
        {
            using var r = await _reader.PostAsJsonAsync($"/api/adapters/court/{Court}/{path}", body);
            var answer = await r.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(answer.GetProperty("accepted").GetInt32(), Is.EqualTo(1), $"{path}: {answer}");
        }

        await Post("notices", CourtNoticeJson.Company("LC-H-1", uscc));
        await Subject(uscc);
        await Post("disputes", new JsonObject { ["id"] = "LC-H-1-D", ["listingId"] = "LC-H-1", ["legalBasis"] = "JD-4", ["filedOn"] = "2026-11-25" });
        var marked = await Eventual(s => s.GetProperty("listings")[0].GetProperty("dispute").ValueKind == JsonValueKind.Object, uscc, "the dispute mark");
        Assert.That(marked.GetProperty("listings")[0].GetProperty("dispute").GetProperty("reviewDeadline").GetString(), Is.EqualTo("2026-12-10"));

        await Post("dispute-decisions", new JsonObject
        {
            ["id"] = "LC-H-1-DR", ["listingId"] = "LC-H-1", ["disputeId"] = "LC-H-1-D", ["legalBasis"] = "JD-4", ["outcome"] = "Upheld", ["decidedOn"] = "2026-11-27",
        });
        var cleared = await Eventual(s => s.GetProperty("listings")[0].GetProperty("dispute").ValueKind == JsonValueKind.Null, uscc, "the mark cleared");
        Assert.That(cleared.GetProperty("listings")[0].GetProperty("status").GetString(), Is.EqualTo("active"), "upheld: the listing stands");
    }
}
