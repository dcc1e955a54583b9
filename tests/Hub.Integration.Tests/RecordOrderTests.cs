using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Testing;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// Order through the real RabbitMQ: a court's removal and the listing it ends arrive on two exchanges, and the
/// aggregator applies them in one sequence; a removal that comes first waits for its listing instead of being refused.
/// </summary>
[NonParallelizable]
public sealed class RecordOrderTests
{
    private const string Envelope = "application/vnd.masstransit+json";

    private RabbitMqTestVhost _vhost = default!;
    private PostgresTestDatabase _database = default!;
    private HubFactory _hub = default!;
    private HttpClient _client = default!;
    private HttpClient _operator = default!;
    private RawBroker _court = default!;

    [SetUp]
    public async Task StartHub()
    {
        _vhost = await RabbitMqTestVhost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        _hub = new HubFactory(HubFactory.ServerMode(_vhost.HubAmqpUri, _database.ConnectionString));
        _client = await _hub.ClientAsAsync(Court);
        _operator = await _hub.ClientAsAsync("operator:test");
        await Eventually.Get(async () => (await _client.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
        _court = await RawBroker.ConnectAsync(await _vhost.CreateAgencyUserAsync(Court));
    }

    [TearDown]
    public async Task StopHub()
    {
        _client?.Dispose();
        _operator?.Dispose();
        if (_hub is not null) await _hub.DisposeAsync();
        if (_court is not null) await _court.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    private static string Message(string urn, string body) => new JsonObject
    {
        ["messageId"] = Guid.NewGuid().ToString(),
        ["messageType"] = new JsonArray(urn),
        ["message"] = JsonNode.Parse(body),
    }.ToJsonString();

    private Task PublishListing(string sourceId, string uscc) => _court.PublishAsync("hub.judgment-defaulter-listed",
        Message("urn:message:hub:judgment-defaulter-listed:v1", $$"""
        {
          "source": { "agencyCode": "{{Court}}", "sourceRecordId": "{{sourceId}}", "revision": 1 },
          "legalBasis": "JD-2", "caseNumber": "(2026)皖1122执4001号", "enforcingCourt": "来安县人民法院",
          "subject": { "kind": "Organization", "name": "滁州顺序测试有限公司", "uscc": "{{uscc}}" },
          "decisionDate": "2026-06-20"
        }
        """), Envelope, userId: BrokerUsers.UserOf(Court));

    private Task PublishRemoval(string listingSourceId) => _court.PublishAsync("hub.judgment-defaulter-removed",
        Message("urn:message:hub:judgment-defaulter-removed:v1", $$"""
        {
          "source": { "agencyCode": "{{Court}}", "sourceRecordId": "{{listingSourceId}}-R", "revision": 1 },
          "legalBasis": "JD-2", "listingSourceRecordId": "{{listingSourceId}}", "reason": "Performed", "effectiveDate": "2026-09-01"
        }
        """), Envelope, userId: BrokerUsers.UserOf(Court));

    private async Task<string?> ListingStatus(string uscc)
    {
        using var response = await _client.GetAsync($"/api/subjects?uscc={uscc}");
        if (!response.IsSuccessStatusCode) return null;
        var listings = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("listings");
        return listings.GetArrayLength() == 1 ? listings[0].GetProperty("status").GetString() : null;
    }

    private async Task<List<JsonElement>> Operator(string what) =>
        (await _operator.GetFromJsonAsync<JsonElement>($"/api/operator/{what}")).EnumerateArray().ToList();

    [Test]
    public async Task A_removal_published_before_its_listing_waits_for_it_and_ends_it()
    {
        var uscc = TestIdentifiers.Uscc(6101);
        await PublishRemoval("ORD-1");

        var held = await Eventually.Get(async () => (await Operator("held-removals")).FirstOrDefault(h => h.GetProperty("listingSourceRecordId").GetString() == "ORD-1")
            is { ValueKind: JsonValueKind.Object } h ? new Box(h) : null, "the removal among the held removals");
        Assert.That(held.Value.GetProperty("sourceRecordId").GetString(), Is.EqualTo("ORD-1-R"));
        Assert.That(held.Value.GetProperty("deadline").GetDateTimeOffset() - held.Value.GetProperty("receivedAt").GetDateTimeOffset(), Is.EqualTo(TimeSpan.FromDays(3)));

        await PublishListing("ORD-1", uscc);

        await Eventually.Get(async () => await ListingStatus(uscc) == "removed" ? "removed" : null, "the listing, ended by the removal that waited for it");
        Assert.That(await Operator("held-removals"), Is.Empty);
        Assert.That((await Operator("quarantine")).Select(q => q.GetProperty("sourceRecordId").GetString()), Does.Not.Contain("ORD-1-R"), "nothing quarantined");
    }

    [Test]
    public async Task A_removal_published_right_before_its_listing_ends_it_and_nothing_is_quarantined()
    {
        var uscc = TestIdentifiers.Uscc(6102);

        await PublishRemoval("ORD-2");
        await PublishListing("ORD-2", uscc);

        await Eventually.Get(async () => await ListingStatus(uscc) == "removed" ? "removed" : null, "the listing, removed");
        Assert.That(await Operator("held-removals"), Is.Empty);
        Assert.That(await Operator("quarantine"), Is.Empty);
    }

    private sealed record Box(JsonElement Value);
}
