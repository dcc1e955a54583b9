using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Testing;

namespace Hub.Integration.Tests;

/// <summary>
/// Subscriptions through the real RabbitMQ and PostgreSQL: each bureau's own queue, bound by the Hub from its
/// subscription, receives exactly the events its filter and the law allow — routed by the broker, read as the bureau's
/// own broker user, plain JSON.
/// </summary>
[NonParallelizable]
public sealed class SubscriptionTests
{
    private const string Court = "COURT-34-1122";
    private const string Food = "FOOD-35";
    private const string Labour = "LABOUR-32";

    private ServerHub _server = default!;
    private RabbitMqTestVhost _vhost = default!;
    private PostgresTestDatabase _database = default!;
    private HttpClient _operator = default!;
    private HttpClient _reader = default!;
    private RawBroker _court = default!, _food = default!, _labour = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _server = await ServerHub.StartAsync();
        (_vhost, _database) = (_server.Vhost, _server.Database);
        _operator = await _server.ClientAsync("operator:test");
        _reader = await _server.ClientAsync(Food);
        _court = await _server.AgencyAsync(Court);
        _food = await _server.AgencyAsync(Food);
        _labour = await _server.AgencyAsync(Labour);
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private static Task Publish(RawBroker broker, string agency, string kind, string body) => ServerHub.PublishAsync(broker, agency, kind, body);

    private Task FoodPenalty(string id, int n) => Publish(_food, Food, "administrative-penalty-recorded", $$"""
        { "source": { "agencyCode": "{{Food}}", "sourceRecordId": "{{id}}" }, "legalBasis": "FOOD-SERIOUS", "decisionNumber": "闽食监罚〔2026〕{{n}}号",
          "category": "FoodSafety", "severity": "Serious", "subject": { "kind": "Organization", "name": "福州订阅测试食品有限公司", "uscc": "{{TestIdentifiers.Uscc(n)}}" },
          "decisionDate": "2026-05-10" }
        """);

    private Task WagePenalty(string id, int n) => Publish(_labour, Labour, "administrative-penalty-recorded", $$"""
        { "source": { "agencyCode": "{{Labour}}", "sourceRecordId": "{{id}}" }, "legalBasis": "WAGE-ARREARS", "decisionNumber": "苏人社罚〔2026〕{{n}}号",
          "category": "Labour", "severity": "Serious", "subject": { "kind": "Organization", "name": "苏州订阅测试建筑有限公司", "uscc": "{{TestIdentifiers.Uscc(n)}}" },
          "decisionDate": "2026-05-10" }
        """);

    private Task CourtListing(string id, int n) => Publish(_court, Court, "judgment-defaulter-listed", $$"""
        { "source": { "agencyCode": "{{Court}}", "sourceRecordId": "{{id}}" }, "legalBasis": "JD-2", "caseNumber": "(2026)皖1122执{{n}}号",
          "enforcingCourt": "来安县人民法院", "subject": { "kind": "Organization", "name": "滁州订阅测试有限公司", "uscc": "{{TestIdentifiers.Uscc(n)}}" },
          "decisionDate": "2026-06-20" }
        """);

    private async Task<HttpResponseMessage> Put(string agency, object body) =>
        await _operator.PutAsJsonAsync($"/api/operator/subscriptions/{agency}", body);

    /// <summary>Everything on a subscriber's queue now, read as the agency's own broker user: (routing key, event).</summary>
    private static async Task<List<(string Key, JsonElement Event)>> Drain(RawBroker broker, string agency)
    {
        var got = new List<(string, JsonElement)>();
        while (await broker.GetAsync($"hub.subscriber.{BrokerUsers.UserOf(agency)}") is { } m)
        {
            Assert.That(m.BasicProperties.ContentType, Is.EqualTo("application/json"));
            got.Add((m.RoutingKey, JsonDocument.Parse(Encoding.UTF8.GetString(m.Body.Span)).RootElement));
        }
        return got;
    }

    private static async Task<List<(string Key, JsonElement Event)>> DrainUntil(RawBroker broker, string agency, Func<List<(string Key, JsonElement Event)>, bool> done,
        string waitingFor)
    {
        var all = new List<(string, JsonElement)>();
        await Eventually.Get(async () =>
        {
            all.AddRange(await Drain(broker, agency));
            return done(all) ? "done" : null;
        }, waitingFor);
        return all;
    }

    private async Task<int> ListingsOf(int n)
    {
        using var r = await _reader.GetAsync($"/api/subjects?uscc={TestIdentifiers.Uscc(n)}");
        return r.IsSuccessStatusCode ? (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("listings").GetArrayLength() : 0;
    }

    [Test, Order(1)]
    public async Task Two_bureaus_bound_before_any_event_receive_exactly_their_events_and_nothing_else()
    {
        // no event has ever been published on this broker vhost: the exchange and queues exist all the same
        using (var foodPut = await Put(Food, new { filter = new { eventKinds = new[] { "listed", "delisted", "expired" }, listTypes = new[] { "food-safety-serious" } } }))
            Assert.That(foodPut.StatusCode, Is.EqualTo(HttpStatusCode.OK), await foodPut.Content.ReadAsStringAsync());
        using (var labourPut = await Put(Labour, new { filter = new { eventKinds = new[] { "listed", "delisted", "expired" }, originProvinces = new[] { "32" } } }))
        {
            var view = await labourPut.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(view.GetProperty("bindingKeys").EnumerateArray().Select(k => k.GetString()), Is.EqualTo(new[] { "listed.wage-arrears-serious.32", "delisted.wage-arrears-serious.32", "expired.wage-arrears-serious.32" }),
                "a labour bureau lawfully receives the wage-arrears list only");
        }

        await FoodPenalty("SUB-F-1", 8101);
        await WagePenalty("SUB-W-1", 8102);
        await CourtListing("SUB-C-1", 8103);
        foreach (var n in new[] { 8101, 8102, 8103 })
            await Eventually.Get(async () => await ListingsOf(n) > 0 ? "listed" : null, $"subject {n} listed");

        var food = await DrainUntil(_food, Food, got => got.Count >= 1, "the food bureau's event");
        var labour = await DrainUntil(_labour, Labour, got => got.Count >= 1, "the labour bureau's event");
        await Task.Delay(500); // anything else routed to them would be there by now: the court's listing was applied first
        food.AddRange(await Drain(_food, Food));
        labour.AddRange(await Drain(_labour, Labour));

        Assert.That(food.Select(e => (e.Key, e.Event.GetProperty("listType").GetString())), Is.EqualTo(new[] { ("listed.food-safety-serious.35", "food-safety-serious") }));
        Assert.That(labour.Select(e => (e.Key, e.Event.GetProperty("listType").GetString())), Is.EqualTo(new[] { ("listed.wage-arrears-serious.32", "wage-arrears-serious") }));
        Assert.That(food[0].Event.GetProperty("eventId").GetString(), Is.Not.Empty);
        Assert.That(food[0].Event.TryGetProperty("validUntil", out _), Is.True);
        Assert.That(food[0].Event.TryGetProperty("imputedRole", out _), Is.False, "a missing optional field is left out, not null");
    }

    [Test, Order(2)]
    public async Task A_subscription_change_mid_stream_loses_nothing_already_queued_or_matching_both()
    {
        using (var first = await Put(Food, new { filter = new { eventKinds = new[] { "listed", "delisted", "expired" }, listTypes = new[] { "food-safety-serious" } } }))
            Assert.That(first.IsSuccessStatusCode, Is.True);
        await Drain(_food, Food);

        const int count = 60;
        var publishing = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++) await FoodPenalty($"SUB-MID-{i}", 8200 + i);
        });
        // the filter changes twice while the penalties stream in; every version receives "listed" for food-safety
        for (var round = 0; round < 4; round++)
        {
            object filter = round % 2 == 0
                ? new { eventKinds = new[] { "listed", "delisted", "expired" }, listTypes = new[] { "food-safety-serious" }, originProvinces = new[] { "35" } }
                : new { eventKinds = new[] { "listed", "delisted", "expired" }, listTypes = new[] { "food-safety-serious" } };
            using var change = await Put(Food, new { filter });
            Assert.That(change.IsSuccessStatusCode, Is.True, await change.Content.ReadAsStringAsync());
            await Task.Delay(100);
        }
        await publishing;

        var got = await DrainUntil(_food, Food, all => all.Count(e => e.Key.StartsWith("listed.", StringComparison.Ordinal)) >= count,
            $"{count} SubjectListed on the food bureau's queue");
        Assert.That(got.Select(e => e.Event.GetProperty("eventId").GetString()).Distinct().Count(), Is.EqualTo(count));
    }

    [Test]
    public async Task A_filter_beyond_the_lawful_scope_is_403_naming_the_field_and_changes_nothing()
    {
        using var before = await _operator.GetAsync("/api/operator/subscriptions");
        var unchanged = await before.Content.ReadAsStringAsync();

        using var labourCourt = await Put(Labour, new { filter = new { listTypes = new[] { "judgment-defaulter" } } });
        Assert.That(labourCourt.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var problem = await labourCourt.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("field").GetString(), Is.EqualTo("filter.listTypes[0]"));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("may not receive judgment-defaulter"));

        using var measure = await Put(Labour, new { filter = new { measures = new[] { "food-production-licence" } } });
        Assert.That(measure.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        using var unknownKind = await Put(Labour, new { filter = new { eventKinds = new[] { "listed", "delisted", "expired", "relisted" } } });
        Assert.That(unknownKind.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await unknownKind.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString(), Is.EqualTo("filter.eventKinds[3]"));

        using var plainHttp = await Put(Labour, new { delivery = "webhook", webhookUrl = "http://labour.example/hub" });
        Assert.That(plainHttp.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await plainHttp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), Does.Contain("not HTTPS"));

        using var court = await Put(Court, new { filter = new { eventKinds = new[] { "listed", "delisted", "expired" } } });
        Assert.That(court.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "a court holds no events:subscribe");
        using var courtRejections = await Put(Court, new { filter = new { eventKinds = new[] { "rejected" } } });
        Assert.That(courtRejections.StatusCode, Is.EqualTo(HttpStatusCode.OK), "but it may receive the refusals of its own records");
        using var end = await _operator.DeleteAsync($"/api/operator/subscriptions/{Court}");
        Assert.That(end.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));

        using var after = await _operator.GetAsync("/api/operator/subscriptions");
        Assert.That(JsonDocument.Parse(await after.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(s => s.GetProperty("agency").GetString()),
            Is.EquivalentTo(JsonDocument.Parse(unchanged).RootElement.EnumerateArray().Select(s => s.GetProperty("agency").GetString())));
    }

    [Test, Order(3)]
    public async Task A_subscriber_queue_deleted_by_hand_is_declared_again_with_its_bindings_at_the_next_start_and_reported()
    {
        using (var put = await Put(Food, new { filter = new { eventKinds = new[] { "listed", "delisted", "expired" }, listTypes = new[] { "food-safety-serious" } } }))
            Assert.That(put.IsSuccessStatusCode, Is.True);
        using (var deleted = await _vhost.Management.DeleteAsync($"api/queues/{_vhost.Name}/hub.subscriber.food-35"))
            Assert.That(deleted.IsSuccessStatusCode, Is.True);
        Assert.That(await _vhost.QueueDepthAsync("hub.subscriber.food-35"), Is.Null);

        await using (var restarted = new HubFactory(HubFactory.ServerMode(_vhost.HubAmqpUri, _database.ConnectionString)))
        {
            using var ops = await restarted.ClientAsAsync("operator:test");
            var food = await Eventually.Value<JsonElement>(async () =>
            {
                var all = await ops.GetFromJsonAsync<JsonElement>("/api/operator/subscriptions");
                var f = all.EnumerateArray().FirstOrDefault(s => s.GetProperty("agency").GetString() == Food);
                return f.ValueKind == JsonValueKind.Object && f.GetProperty("queueRecreatedAt").ValueKind == JsonValueKind.String ? f : null;
            }, "the queue reported as recreated");
            Assert.That(food.GetProperty("queue").GetString(), Is.EqualTo("hub.subscriber.food-35"));
        }
        Assert.That(await _vhost.QueueDepthAsync("hub.subscriber.food-35"), Is.Not.Null, "declared again");

        await FoodPenalty("SUB-RE-1", 8301);
        var got = await DrainUntil(_food, Food, all => all.Any(e => e.Key.StartsWith("listed.", StringComparison.Ordinal)), "an event on the recreated queue");
        Assert.That(got.Select(e => e.Key), Does.Contain("listed.food-safety-serious.35"));
    }
}
