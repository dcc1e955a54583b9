using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Integration.Tests;

/// <summary>Settings both webhook fixtures share: retries in tenths of a second instead of seconds to minutes.</summary>
internal static class WebhookSettings
{
    public static Dictionary<string, string?> Fast(Dictionary<string, string?> settings)
    {
        settings["Hub:Subscribers:Webhooks:FirstRetryDelay"] = "00:00:00.100";
        settings["Hub:Subscribers:Webhooks:MaxRetryDelay"] = "00:00:00.400";
        // held at most a second before it goes back to the head of the queue and is taken again: every retried event
        // of these tests crosses that hand-back, which must keep its place and its attempts
        settings["Hub:Subscribers:Webhooks:HoldLimit"] = "00:00:01";
        settings["Hub:Subscribers:Webhooks:RetryWindow"] = "00:00:15";
        settings["Hub:Subscribers:Webhooks:AttemptTimeout"] = "00:00:02";
        return settings;
    }

    public static async Task<HttpResponseMessage> Subscribe(HttpClient operatorClient, string agency, Uri url, string listType) =>
        await operatorClient.PutAsJsonAsync($"/api/operator/subscriptions/{agency}", new
        {
            delivery = "webhook", webhookUrl = url.ToString(),
            filter = new { eventKinds = new[] { "listed", "delisted", "expired" }, listTypes = new[] { listType } },
        });
}

/// <summary>
/// Webhooks through the real RabbitMQ and PostgreSQL: each webhook subscriber's own queue is consumed by the Hub, one
/// event at a time, and every event is POSTed, signed, to a real HTTP server of the test's. The receivers listen on
/// plain http://127.0.0.1, so these Hubs run with <c>Hub:Subscribers:RequireHttps=false</c>; in server mode a
/// webhook must otherwise be https (SubscriptionTests checks the 400).
/// </summary>
[NonParallelizable]
public sealed class WebhookTests
{
    private const string Food = "FOOD-35";
    private const string Labour = "LABOUR-32";
    private const string Env = "ENV-44";
    private const string Envelope = "application/vnd.masstransit+json";

    private RabbitMqTestVhost _vhost = default!;
    private PostgresTestDatabase _database = default!;
    private HubFactory _hub = default!;
    private HttpClient _operator = default!;
    private RawBroker _food = default!, _labour = default!, _env = default!;
    private WebhookReceiver _receiver = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _vhost = await RabbitMqTestVhost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        var settings = WebhookSettings.Fast(HubFactory.ServerMode(_vhost.HubAmqpUri, _database.ConnectionString));
        settings["Hub:Subscribers:RequireHttps"] = "false"; // the test's receivers are plain HTTP on loopback
        _hub = new HubFactory(settings);
        _operator = await _hub.ClientAsAsync("operator:test");
        await Eventually.Get(async () => (await _operator.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
        _food = await RawBroker.ConnectAsync(await _vhost.CreateAgencyUserAsync(Food));
        _labour = await RawBroker.ConnectAsync(await _vhost.CreateAgencyUserAsync(Labour));
        _env = await RawBroker.ConnectAsync(await _vhost.CreateAgencyUserAsync(Env));
        _receiver = await WebhookReceiver.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _operator?.Dispose();
        if (_hub is not null) await _hub.DisposeAsync();
        if (_receiver is not null) await _receiver.DisposeAsync();
        foreach (var broker in new[] { _food, _labour, _env })
            if (broker is not null) await broker.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    private static Task Penalty(RawBroker broker, string agency, string basis, string category, string id, int n, string name, int revision = 1,
        string decisionDate = "2026-05-10")
    {
        var body = $$"""
            { "source": { "agencyCode": "{{agency}}", "sourceRecordId": "{{id}}", "revision": {{revision}} }, "legalBasis": "{{basis}}",
              "decisionNumber": "罚〔2026〕{{n}}号", "category": "{{category}}", "severity": "Serious",
              "subject": { "kind": "Organization", "name": "{{name}}", "uscc": "{{TestIdentifiers.Uscc(n)}}" }, "decisionDate": "{{decisionDate}}" }
            """;
        var message = new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["messageType"] = new JsonArray("urn:message:hub:administrative-penalty-recorded:v1"),
            ["message"] = JsonNode.Parse(body),
        }.ToJsonString();
        return broker.PublishAsync("hub.administrative-penalty-recorded", message, Envelope, userId: BrokerUsers.UserOf(agency));
    }

    private async Task<string> SubscribeAsync(string agency, Uri url, string listType)
    {
        using var put = await WebhookSettings.Subscribe(_operator, agency, url, listType);
        var text = await put.Content.ReadAsStringAsync();
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        var secret = JsonDocument.Parse(text).RootElement.GetProperty("webhookSecret").GetString()!;
        Assert.That(secret, Does.Match("^[0-9a-f]{64}$"), "32 random bytes, hex");
        return secret;
    }

    /// <summary>How many listings (in force or ended) the index holds for the subject with test USCC number <paramref name="n"/>.</summary>
    private async Task<int> ListingsOf(int n)
    {
        using var r = await _operator.GetAsync($"/api/subjects?uscc={TestIdentifiers.Uscc(n)}");
        return r.IsSuccessStatusCode ? (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("listings").GetArrayLength() : 0;
    }

    private async Task<JsonElement[]> DeadLetters(string agency) =>
        (await _operator.GetFromJsonAsync<JsonElement>($"/api/operator/webhooks/dead-letters?agency={agency}")).EnumerateArray().ToArray();

    [Test]
    public async Task A_receiver_that_fails_twice_then_succeeds_receives_the_event_once_with_a_valid_signature()
    {
        _receiver.Answer = r => r.Path == "/food" && _receiver.On("/food").Count < 2 ? 500 : 200;
        var secret = await SubscribeAsync(Food, _receiver.Url("/food"), "food-safety-serious");
        using (var again = await WebhookSettings.Subscribe(_operator, Food, _receiver.Url("/food"), "food-safety-serious"))
        {
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await again.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("webhookSecret", out _), Is.False,
                "changing a webhook subscription keeps its secret, and does not show it again");
        }
        var listed = await _operator.GetStringAsync("/api/operator/subscriptions");
        Assert.That(listed, Does.Not.Contain(secret).And.Not.Contain("webhookSecret"), "the secret is shown once, in the answer to the PUT that made it");

        await Penalty(_food, Food, "FOOD-SERIOUS", "FoodSafety", "WH-FOOD-1", 9101, "福州钩子测试食品有限公司");

        await Eventually.Get(() => Task.FromResult(_receiver.On("/food").Any(r => r.Status == 200) ? "taken" : null), "the webhook to take the event");
        await Task.Delay(1000); // a repeat would be here by now
        var got = _receiver.On("/food");
        Assert.That(got.Select(r => r.Status), Is.EqualTo(new[] { 500, 500, 200 }), "two refusals, then taken, and nothing after");
        Assert.That(got.Select(r => r.Attempt), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(got.Select(r => r.EventId).Distinct().Count(), Is.EqualTo(1), "the same event each time");
        Assert.That(got.Select(r => Convert.ToBase64String(r.Body)).Distinct().Count(), Is.EqualTo(1), "the same body each time");
        Assert.That(got.All(r => r.SignedWith(secret)), Is.True, "X-Hub-Signature-256 is the HMAC-SHA256 of the body with the agency's secret");
        Assert.That(got[2].SignedWith(secret.ToUpperInvariant()), Is.False, "and with nothing else");
        var taken = got[2];
        Assert.That(taken.Headers["Content-Type"], Is.EqualTo("application/json"));
        Assert.That(taken.Headers["X-Hub-Event-Type"], Is.EqualTo("urn:message:hub:subject-listed:v1"));
        Assert.That(taken.Headers["X-Hub-Event-Kind"], Is.EqualTo("listed"));
        Assert.That(long.Parse(taken.Headers["X-Hub-Timestamp"], System.Globalization.CultureInfo.InvariantCulture),
            Is.EqualTo(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds()).Within(120));
        Assert.That(taken.Event.GetProperty("eventId").GetString(), Is.EqualTo(taken.EventId));
        Assert.That(taken.Event.GetProperty("listType").GetString(), Is.EqualTo("food-safety-serious"));
        Assert.That(taken.Event.TryGetProperty("message", out _), Is.False, "the plain event, no envelope");

        Assert.That(await Eventually.Value<long>(async () => await _vhost.QueueDepthAsync("hub.subscriber.food-35") is 0 ? 0 : null, "the queue to be empty"),
            Is.Zero, "acknowledged once taken");
        Assert.That(await DeadLetters(Food), Is.Empty);
    }

    [Test]
    public async Task A_receiver_down_for_a_while_gets_every_event_in_order_when_it_is_back()
    {
        var port = WebhookReceiver.FreePort();
        var secret = await SubscribeAsync(Labour, new Uri($"http://127.0.0.1:{port}/labour"), "wage-arrears-serious");

        // four revisions of one penalty: listed, then each correction ends the listing before (superseded) and lists anew —
        // seven events about one subject, whose order matters. Each is sent once the one before is applied: two sent at
        // the same instant may reach the aggregator the other way round, and the older one is then refused as stale
        for (var revision = 1; revision <= 4; revision++)
        {
            await Penalty(_labour, Labour, "WAGE-ARREARS", "Labour", "WH-DOWN-1", 9201, "苏州钩子测试建筑有限公司", revision, $"2026-05-1{revision}");
            var applied = revision;
            await Eventually.Get(async () => await ListingsOf(9201) == applied ? "applied" : null, $"revision {revision} applied");
        }
        // all seven wait on the agency's queue (the head of them tried, refused a connection, and handed back meanwhile)
        await Eventually.Value<long>(async () => await _vhost.QueueDepthAsync("hub.subscriber.labour-32") is 7 ? 7 : null, "seven events queued");
        await Task.Delay(2000);

        await using var back = await WebhookReceiver.StartAsync(port);
        await Eventually.Get(() => Task.FromResult(back.Requests.Count(r => r.Status == 200) >= 7 ? "all" : null), "all seven events");
        await Task.Delay(500);

        var got = back.Requests;
        Assert.That(got, Has.Count.EqualTo(7), "each event once: a refused connection delivered nothing");
        Assert.That(got.Select(r => r.EventId).Distinct().Count(), Is.EqualTo(7));
        Assert.That(got.All(r => r.SignedWith(secret)), Is.True);
        Assert.That(got.Select(r => r.Headers["X-Hub-Event-Kind"]), Is.EqualTo(new[] { "listed", "delisted", "listed", "delisted", "listed", "delisted", "listed" }));
        var events = got.Select(r => r.Event).ToList();
        for (var i = 1; i < events.Count; i += 2)
            Assert.That(events[i].GetProperty("listingId").GetString(), Is.EqualTo(events[i - 1].GetProperty("listingId").GetString()),
                $"event {i + 1} ends the listing event {i} made");
        Assert.That(events.Where((_, i) => i % 2 == 0).Select(e => e.GetProperty("validFrom").GetString()),
            Is.EqualTo(new[] { "2026-05-11", "2026-05-12", "2026-05-13", "2026-05-14" }), "the revisions in the order they were sent");
        Assert.That(got[0].Attempt, Is.GreaterThan(1), "the head was retried while the endpoint was down");
        Assert.That(got.Skip(1).Select(r => r.Attempt), Is.All.EqualTo(1), "the events behind it waited in the queue, untried");
        Assert.That(await DeadLetters(Labour), Is.Empty);
    }

    [Test]
    public async Task A_refused_event_and_one_past_the_retry_window_are_dead_letters_for_operators_and_resend_delivers_them()
    {
        var down = true;
        _receiver.Answer = r => r.Path != "/env" ? 200 : r.Event.GetProperty("displayName").GetString() switch
        {
            "广州拒收测试有限公司" when down => 400,
            "广州不通测试有限公司" when down => 503,
            _ => 200,
        };
        var first = await SubscribeAsync(Env, _receiver.Url("/env"), "environment-serious");

        await Penalty(_env, Env, "ENV-SERIOUS", "Environment", "WH-ENV-REFUSED", 9301, "广州拒收测试有限公司");
        await Penalty(_env, Env, "ENV-SERIOUS", "Environment", "WH-ENV-DOWN", 9302, "广州不通测试有限公司");
        await Penalty(_env, Env, "ENV-SERIOUS", "Environment", "WH-ENV-FINE", 9303, "广州正常测试有限公司");

        var letters = await Eventually.Get(async () => await DeadLetters(Env) is { Length: 2 } l ? l : null, "two dead letters", seconds: 60);
        await Eventually.Get(() => Task.FromResult(_receiver.On("/env").Any(r => Name(r) == "广州正常测试有限公司" && r.Status == 200) ? "ok" : null),
            "the event after them delivered");
        var refused = letters.Single(l => l.GetProperty("lastStatus").GetInt32() == 400);
        var exhausted = letters.Single(l => l.GetProperty("lastStatus").GetInt32() == 503);
        Assert.That(refused.GetProperty("attempts").GetInt32(), Is.EqualTo(1), "a 400 is final: not retried");
        Assert.That(exhausted.GetProperty("attempts").GetInt32(), Is.GreaterThan(2), "a 503 is retried until the window closes");
        Assert.That(exhausted.GetProperty("lastError").GetString(), Does.Contain("503"));
        foreach (var l in letters)
        {
            Assert.That(l.GetProperty("agency").GetString(), Is.EqualTo(Env));
            Assert.That(l.GetProperty("eventKind").GetString(), Is.EqualTo("listed"));
            Assert.That(l.GetProperty("eventType").GetString(), Is.EqualTo("urn:message:hub:subject-listed:v1"));
            Assert.That(l.GetProperty("routingKey").GetString(), Is.EqualTo("listed.environment-serious.44"));
            Assert.That(l.GetProperty("resentAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(l.TryGetProperty("body", out _), Is.False, "bodies are data about people: not listed");
        }
        Assert.That(_receiver.On("/env").Count(r => r.EventId == exhausted.GetProperty("eventId").GetString()), Is.EqualTo(exhausted.GetProperty("attempts").GetInt32()));
        var original = _receiver.On("/env").Where(r => r.Status != 200).GroupBy(r => r.EventId).ToDictionary(g => g.Key, g => g.First().Body, StringComparer.Ordinal);

        using (var bureau = await _hub.ClientAsAsync(Env))
        using (var forbidden = await bureau.GetAsync("/api/operator/webhooks/dead-letters"))
            Assert.That(forbidden.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "operators only");
        using (var unknown = await _operator.PostAsync("/api/operator/webhooks/dead-letters/no-such-letter/resend", null))
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        // a new secret: what is sent from now on is signed with it, and only with it
        using var rotate = await _operator.PostAsync($"/api/operator/subscriptions/{Env}/webhook-secret", null);
        Assert.That(rotate.StatusCode, Is.EqualTo(HttpStatusCode.OK), await rotate.Content.ReadAsStringAsync());
        var second = (await rotate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("webhookSecret").GetString()!;
        Assert.That(second, Does.Match("^[0-9a-f]{64}$").And.Not.EqualTo(first));

        down = false;
        foreach (var l in letters)
        {
            using var resend = await _operator.PostAsync($"/api/operator/webhooks/dead-letters/{l.GetProperty("id").GetString()}/resend", null);
            Assert.That(resend.StatusCode, Is.EqualTo(HttpStatusCode.OK), await resend.Content.ReadAsStringAsync());
        }
        var ids = letters.Select(l => l.GetProperty("eventId").GetString()!).ToList();
        await Eventually.Get(() => Task.FromResult(ids.All(id => _receiver.On("/env").Any(r => r.EventId == id && r.Status == 200)) ? "both" : null),
            "both dead letters delivered");
        foreach (var id in ids)
        {
            var delivered = _receiver.On("/env").Single(r => r.EventId == id && r.Status == 200);
            Assert.That(delivered.Body, Is.EqualTo(original[id]), "the body as it was first sent");
            Assert.That(delivered.SignedWith(second), Is.True, "signed with the new secret");
            Assert.That(delivered.SignedWith(first), Is.False);
            Assert.That(delivered.Attempt, Is.EqualTo(1), "a new delivery, retried in full if need be");
        }
        var after = await DeadLetters(Env);
        Assert.That(after.Select(l => l.GetProperty("resentBy").GetString()), Is.All.EqualTo("operator:test"));
        Assert.That(after.Select(l => l.GetProperty("resentAt").ValueKind), Is.All.EqualTo(JsonValueKind.String));

        using var auditor = await _hub.ClientAsAsync("auditor:test");
        var audit = await auditor.GetFromJsonAsync<JsonElement>("/api/audit?limit=500");
        Assert.That(audit.EnumerateArray().Count(e => e.GetProperty("action").GetString() == "webhooks.resend" && e.GetProperty("outcome").GetString() == "resent"),
            Is.EqualTo(2), "each resend on the audit log");
        Assert.That(audit.EnumerateArray().Any(e => e.GetProperty("action").GetString() == "subscriptions.webhook-secret"), Is.True);
        Assert.That(audit.GetRawText(), Does.Not.Contain(first).And.Not.Contain(second), "never a secret");

        static string? Name(Received r) => r.Event.GetProperty("displayName").GetString();
    }
}

/// <summary>The embedded default (in-memory bus, SQLite; no broker) delivers webhooks too, from a table of its own.</summary>
[NonParallelizable]
public sealed class EmbeddedWebhookTests
{
    private const string Market = "MARKET-35";
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-webhooks-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _operator = default!;
    private HttpClient _court = default!;
    private WebhookReceiver _receiver = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(WebhookSettings.Fast(HubFactory.Embedded(_file)));
        _operator = await _hub.ClientAsAsync("operator:test");
        _court = await _hub.ClientAsAsync(CourtNoticeJson.Court);
        await Eventually.Get(async () => (await _operator.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
        _receiver = await WebhookReceiver.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _operator?.Dispose();
        _court?.Dispose();
        if (_hub is not null) await _hub.DisposeAsync();
        if (_receiver is not null) await _receiver.DisposeAsync();
        if (Directory.Exists(Path.GetDirectoryName(_file))) Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    [Test]
    public async Task A_webhook_subscription_in_the_registry_file_needs_its_secret_in_configuration_or_the_hub_does_not_start()
    {
        var dir = Path.GetDirectoryName(_file)!;
        var registry = Path.Combine(dir, "subscriptions.json");
        await File.WriteAllTextAsync(registry, """
            { "subscriptions": [ { "agency": "FOOD-35", "delivery": "webhook", "webhookUrl": "https://food.example/hub",
                                   "filter": { "eventKinds": ["listed", "delisted", "expired"] } } ] }
            """);
        var settings = HubFactory.Embedded(Path.Combine(dir, "declared.db"));
        settings["Hub:Catalogue:SubscriptionsFile"] = registry;

        await using (var without = new HubFactory(settings))
            Assert.That(() => without.CreateClient(), Throws.Exception.With.Message.Contains("Hub:Subscribers:WebhookSecrets:FOOD-35"));

        settings["Hub:Subscribers:WebhookSecrets:FOOD-35"] = "short";
        await using (var tooShort = new HubFactory(settings))
            Assert.That(() => tooShort.CreateClient(), Throws.Exception.With.Message.Contains("shorter than 32 characters"));

        settings["Hub:Subscribers:WebhookSecrets:FOOD-35"] = "agreed-with-the-food-bureau-0123456789";
        await using var with = new HubFactory(settings);
        using var ops = await with.ClientAsAsync("operator:test");
        var listed = await ops.GetStringAsync("/api/operator/subscriptions");
        Assert.That(listed, Does.Contain("\"source\":\"file\"").And.Not.Contain("agreed-with-the-food-bureau"));
        using var rotate = await ops.PostAsync("/api/operator/subscriptions/FOOD-35/webhook-secret", null);
        Assert.That(rotate.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "its secret is configuration");
    }

    [Test]
    public async Task A_court_listing_reaches_a_market_regulators_webhook_retried_and_signed_and_a_refused_one_is_sent_again()
    {
        // the first POST fails (500), the legal representative's imputed listing is refused (400) until the receiver is fixed
        var fixedUp = false;
        _receiver.Answer = r => _receiver.Requests.Count == 0 ? 500 : r.Event.GetProperty("subjectKind").GetString() == "Person" && !fixedUp ? 400 : 200;
        using var put = await WebhookSettings.Subscribe(_operator, Market, _receiver.Url("/market"), "judgment-defaulter");
        var text = await put.Content.ReadAsStringAsync();
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), "plain http is allowed on the embedded default: " + text);
        var secret = JsonDocument.Parse(text).RootElement.GetProperty("webhookSecret").GetString()!;

        using var post = await _court.PostAsJsonAsync($"/api/adapters/court/{CourtNoticeJson.Court}/notices", CourtNoticeJson.Company("WH-EMB-1"));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());

        var company = await Eventually.Get(() => Task.FromResult(
            _receiver.Requests.FirstOrDefault(r => r.Status == 200 && r.Event.GetProperty("subjectKind").GetString() == "Organization")),
            "the company's listing at the webhook");
        Assert.That(company.Event.GetProperty("identifier").GetString(), Is.EqualTo(CourtNoticeJson.CompanyUscc));
        Assert.That(company.Headers["X-Hub-Event-Type"], Is.EqualTo("urn:message:hub:subject-listed:v1"));
        Assert.That(company.SignedWith(secret), Is.True);

        var letter = await Eventually.Get(async () =>
        {
            var all = await _operator.GetFromJsonAsync<JsonElement>($"/api/operator/webhooks/dead-letters?agency={Market}");
            return all.GetArrayLength() == 1 ? all[0].GetProperty("id").GetString() : null;
        }, "the refused event as a dead letter");
        Assert.That(_receiver.Requests.Count(r => r.Status == 500), Is.EqualTo(1));
        Assert.That(_receiver.Requests.Count(r => r.EventId == company.EventId && r.Status == 200), Is.EqualTo(1), "the company's event taken once");

        fixedUp = true;
        using (var resend = await _operator.PostAsync($"/api/operator/webhooks/dead-letters/{letter}/resend", null))
            Assert.That(resend.StatusCode, Is.EqualTo(HttpStatusCode.OK), await resend.Content.ReadAsStringAsync());
        var person = await Eventually.Get(() => Task.FromResult(
            _receiver.Requests.FirstOrDefault(r => r.Status == 200 && r.Event.GetProperty("subjectKind").GetString() == "Person")),
            "the dead letter delivered");
        Assert.That(person.SignedWith(secret), Is.True);
        Assert.That(person.Event.GetProperty("imputedRole").GetString(), Is.Not.Empty);
        // the receiver has it before the Hub has marked it delivered: wait for the mark
        var db = _hub.Services.GetRequiredService<Hub.Storage.IndexDatabase>();
        await Eventually.Get(async () => await db.PendingWebhookDeliveriesAsync(Market, CancellationToken.None) == 0 ? "none" : null, "no delivery pending");
    }
}
