using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Testing;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// Server mode end to end: court notice over HTTP → court adapter → real RabbitMQ (a vhost of its own) → aggregator →
/// real PostgreSQL → API, and the outbound events on the broker as a subscriber sees them.
/// </summary>
[NonParallelizable]
public sealed class ServerModeTests
{
    private RabbitMqTestVhost _vhost = default!;
    private PostgresTestDatabase _database = default!;
    private HubFactory _hub = default!;
    private HttpClient _client = default!;
    private HttpClient _operator = default!;
    private RawBroker _broker = default!;
    private RawBroker _court = default!;
    private string _delisted = "", _rejected = "", _listed = "";

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _vhost = await RabbitMqTestVhost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        _broker = await RawBroker.ConnectAsync(_vhost.AmqpUri);
        _listed = await _broker.SubscribeEventsAsync("listed.#");
        _delisted = await _broker.SubscribeEventsAsync("delisted.#", "expired.#");
        _rejected = await _broker.SubscribeEventsAsync("rejected.*");
        // the Hub as its own impersonator user (its court adapter publishes with each court's user_id), never as guest
        _hub = new HubFactory(HubFactory.ServerMode(_vhost.HubAmqpUri, _database.ConnectionString));
        _client = await _hub.ClientAsAsync(Court);
        _operator = await _hub.ClientAsAsync("operator:test");
        await Eventually.Get(async () => (await _client.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready (bus connected, database answering)");
        // a court publishing over AMQP itself, as its own broker user with the permissions the definitions give it
        _court = await RawBroker.ConnectAsync(await _vhost.CreateAgencyUserAsync(Court));
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _client?.Dispose();
        _operator?.Dispose();
        if (_hub is not null) await _hub.DisposeAsync();
        if (_broker is not null) await _broker.DisposeAsync();
        if (_court is not null) await _court.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    private async Task<JsonElement> Post(string path, JsonNode body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), text);
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<JsonElement?> Subject(string query)
    {
        // person lookups carry the ID number in the body, never in the URL
        using var response = query.StartsWith("ric=", StringComparison.Ordinal)
            ? await _client.PostAsJsonAsync("/api/subjects/search", new { ric = query[4..] })
            : await _client.GetAsync($"/api/subjects?{query}");
        return response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    private Task<JsonElement> SubjectWhere(string query, Func<JsonElement, bool> condition, string waitingFor) =>
        Eventually.Get(async () => await Subject(query) is { } s && condition(s) ? new Box(s) : null, waitingFor).ContinueWith(t => t.Result.Value);

    private sealed record Box(JsonElement Value);

    [Test, Order(1)]
    public async Task When_a_court_lists_a_company_the_api_shows_it_and_its_legal_representative_listed()
    {
        var answer = await Post($"/api/adapters/court/{Court}/notices", Company("SRV-1"));
        Assert.That(answer.GetProperty("accepted").GetInt32(), Is.EqualTo(1));

        var company = await SubjectWhere($"uscc={CompanyUscc}", s => s.GetProperty("listings").GetArrayLength() == 1, "the company's listing");
        var listing = company.GetProperty("listings")[0];
        Assert.Multiple(() =>
        {
            Assert.That(listing.GetProperty("legalBasis").GetString(), Is.EqualTo("JD-4"));
            Assert.That(listing.GetProperty("originProvince").GetString(), Is.EqualTo("34"));
            Assert.That(listing.GetProperty("status").GetString(), Is.EqualTo("active"));
            Assert.That(company.GetProperty("relations")[0].GetProperty("person").GetProperty("name").GetString(), Is.EqualTo("王建国"));
        });

        var person = await SubjectWhere($"ric={RepRic}", s => s.GetProperty("listings").GetArrayLength() == 1, "the representative's imputed listing");
        var imputed = person.GetProperty("listings")[0];
        Assert.That(imputed.GetProperty("imputedRole").GetString(), Is.EqualTo("legal-representative"));
        Assert.That(imputed.GetProperty("imputedFromListingId").GetString(), Is.EqualTo(listing.GetProperty("listingId").GetString()));
        Assert.That(person.GetProperty("identifiers")[0].GetProperty("value").GetString(), Is.EqualTo("3411221978****361X"), "ID numbers are masked in the API");

        var published = await Eventually.Get(() => _broker.NextAsync(_listed, m => m.GetProperty("listingId").GetString() == listing.GetProperty("listingId").GetString()).ContinueWith(t => t.Result is { } e ? new Box(e) : null), "SubjectListed on the broker");
        Assert.That(published.Value.GetProperty("legalBasis").GetString(), Is.EqualTo("JD-4"));
    }

    [Test, Order(2)]
    public async Task The_same_message_delivered_twice_gives_one_listing()
    {
        // a non-.NET agency publishing the MassTransit envelope itself, the same message (same messageId) twice
        var envelope = new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["messageType"] = new JsonArray("urn:message:hub:judgment-defaulter-listed:v1"),
            ["message"] = JsonNode.Parse($$"""
                {
                  "source": { "agencyCode": "{{Court}}", "sourceRecordId": "SRV-TWICE", "revision": 1, "recordedAt": "2026-06-11T08:00:00Z" },
                  "legalBasis": "JD-2", "caseNumber": "(2026)皖1122执2001号", "enforcingCourt": "来安县人民法院",
                  "subject": { "kind": "Organization", "name": "滁州双投有限公司", "uscc": "{{TestIdentifiers.Uscc(4242)}}" },
                  "decisionDate": "2026-06-20"
                }
                """),
        }.ToJsonString();
        var user = Hub.Domain.Access.BrokerUsers.UserOf(Court);
        await _court.PublishAsync("hub.judgment-defaulter-listed", envelope, "application/vnd.masstransit+json", user);
        await _court.PublishAsync("hub.judgment-defaulter-listed", envelope, "application/vnd.masstransit+json", user);
        // and the same record as a fresh notice through the adapter
        await _court.PublishAsync("hub.judgment-defaulter-listed",
            envelope.Replace(JsonNode.Parse(envelope)!["messageId"]!.GetValue<string>(), Guid.NewGuid().ToString()), "application/vnd.masstransit+json", user);

        var subject = await SubjectWhere($"uscc={TestIdentifiers.Uscc(4242)}", s => s.GetProperty("listings").GetArrayLength() >= 1, "the listing");
        // give the later deliveries time to arrive: the inbox must hold them back, not a race
        await Eventually.Get(async () => await _vhost.QueueDepthAsync("hub.aggregator") == 0 ? "drained" : null, "the aggregator queue to drain");
        await Task.Delay(500);
        subject = (await Subject($"uscc={TestIdentifiers.Uscc(4242)}"))!.Value;
        Assert.That(subject.GetProperty("listings").GetArrayLength(), Is.EqualTo(1));
    }

    [Test, Order(3)]
    public async Task When_a_court_removes_the_listing_it_becomes_inactive_and_subscribers_get_SubjectDelisted()
    {
        var answer = await Post($"/api/adapters/court/{Court}/removals", Removal("SRV-1-R", "SRV-1"));
        Assert.That(answer.GetProperty("accepted").GetInt32(), Is.EqualTo(1));

        var company = await SubjectWhere($"uscc={CompanyUscc}", s => s.GetProperty("listings")[0].GetProperty("status").GetString() == "removed", "the removal");
        var listing = company.GetProperty("listings")[0];
        Assert.That(listing.GetProperty("activeNow").GetBoolean(), Is.False);
        Assert.That(company.GetProperty("restricted").GetBoolean(), Is.False);

        var listingId = listing.GetProperty("listingId").GetString();
        var delisted = await Eventually.Get(() => _broker.NextAsync(_delisted, m => m.GetProperty("listingId").GetString() == listingId).ContinueWith(t => t.Result is { } e ? new Box(e) : null), "SubjectDelisted on the broker");
        Assert.That(delisted.Value.GetProperty("reason").GetString(), Is.EqualTo("Performed"));
    }

    [Test, Order(4)]
    public async Task A_notice_with_a_bad_check_character_is_quarantined_and_RecordRejected_is_published()
    {
        var answer = await Post($"/api/adapters/court/{Court}/notices", Company("SRV-BAD", uscc: "9134112215678901XD"));
        Assert.That(answer.GetProperty("results")[0].GetProperty("warnings")[0].GetString(), Does.Contain("check character is 'D', expected 'C'"));

        var rejected = await Eventually.Get(() => _broker.NextAsync(_rejected, m => m.GetProperty("sourceRecordId").GetString() == "SRV-BAD").ContinueWith(t => t.Result is { } e ? new Box(e) : null), "RecordRejected on the broker");
        Assert.That(rejected.Value.GetProperty("reasonCode").GetString(), Is.EqualTo("invalid-identifier"));
        Assert.That(rejected.Value.GetProperty("agencyCode").GetString(), Is.EqualTo(Court));

        var quarantine = await _operator.GetFromJsonAsync<JsonElement>($"/api/operator/quarantine?agency={Court}");
        var entry = quarantine.EnumerateArray().Single(q => q.GetProperty("sourceRecordId").GetString() == "SRV-BAD");
        Assert.That(entry.GetProperty("reason").GetString(), Is.EqualTo("subject.uscc: check character is 'D', expected 'C'"));
        Assert.That(entry.GetProperty("id").GetString(), Is.EqualTo(rejected.Value.GetProperty("quarantineId").GetString()));
        Assert.That(await Subject("uscc=9134112215678901XD"), Is.Null);
    }

    [Test, Order(5)]
    public async Task A_malformed_message_goes_to_the_error_queue_and_the_service_keeps_running()
    {
        await _broker.PublishAsync("hub.judgment-defaulter-listed", "{ this is not json", "application/vnd.masstransit+json");

        var depth = await Eventually.Get(async () => await _vhost.QueueDepthAsync("hub.aggregator_error") is > 0 and var d ? (object)d : null, "the malformed message in hub.aggregator_error");
        Assert.That(depth, Is.EqualTo(1L));

        await Post($"/api/adapters/court/{Court}/notices", Company("SRV-AFTER", uscc: TestIdentifiers.Uscc(77)));
        await SubjectWhere($"uscc={TestIdentifiers.Uscc(77)}", s => s.GetProperty("listings").GetArrayLength() == 1, "a notice sent after the malformed one");
        var ready = await _client.GetAsync("/health/ready");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
