using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Testing;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// Identity on the bus, through the real RabbitMQ: agencies publish as their own broker users with the generated
/// permissions, the broker validates <c>user_id</c>, and the aggregator believes that user — not the agency code in
/// the body. The Hub connects as its own impersonator user, never as guest.
/// </summary>
[NonParallelizable]
public sealed class BrokerIdentityTests
{
    private const string Listed = "hub.judgment-defaulter-listed";
    private const string Penalties = "hub.administrative-penalty-recorded";
    private const string Envelope = "application/vnd.masstransit+json";
    private const string Food = "FOOD-35";

    private RabbitMqTestVhost _vhost = default!;
    private PostgresTestDatabase _database = default!;
    private HubFactory _hub = default!;
    private HttpClient _client = default!;
    private HttpClient _operator = default!;
    private RawBroker _subscriber = default!;
    private RawBroker _court = default!;
    private RawBroker _food = default!;
    private string _rejected = "";

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _vhost = await RabbitMqTestVhost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        _subscriber = await RawBroker.ConnectAsync(_vhost.AmqpUri);
        _rejected = await _subscriber.SubscribeEventsAsync("rejected.*");
        _hub = new HubFactory(HubFactory.ServerMode(_vhost.HubAmqpUri, _database.ConnectionString));
        _client = await _hub.ClientAsAsync(Court);
        _operator = await _hub.ClientAsAsync("operator:test");
        await Ready(_client);
        _court = await RawBroker.ConnectAsync(await _vhost.CreateAgencyUserAsync(Court));
        _food = await RawBroker.ConnectAsync(await _vhost.CreateAgencyUserAsync(Food));
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _client?.Dispose();
        _operator?.Dispose();
        if (_hub is not null) await _hub.DisposeAsync();
        foreach (var broker in new[] { _subscriber, _court, _food })
            if (broker is not null) await broker.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    private static Task Ready(HttpClient client) =>
        Eventually.Get(async () => (await client.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready (bus connected, database answering)");

    private static string Message(string urn, string body) => new JsonObject
    {
        ["messageId"] = Guid.NewGuid().ToString(),
        ["messageType"] = new JsonArray(urn),
        ["message"] = JsonNode.Parse(body),
    }.ToJsonString();

    private static string Listing(string agency, string sourceId, string uscc) => Message("urn:message:hub:judgment-defaulter-listed:v1", $$"""
        {
          "source": { "agencyCode": "{{agency}}", "sourceRecordId": "{{sourceId}}", "revision": 1 },
          "legalBasis": "JD-2", "caseNumber": "(2026)皖1122执3001号", "enforcingCourt": "来安县人民法院",
          "subject": { "kind": "Organization", "name": "滁州身份测试有限公司", "uscc": "{{uscc}}" },
          "decisionDate": "2026-06-20"
        }
        """);

    private static string Penalty(string agency, string sourceId, string uscc) => Message("urn:message:hub:administrative-penalty-recorded:v1", $$"""
        {
          "source": { "agencyCode": "{{agency}}", "sourceRecordId": "{{sourceId}}", "revision": 1 },
          "legalBasis": "FOOD-SERIOUS", "decisionNumber": "闽食监罚〔2026〕12号", "category": "FoodSafety", "severity": "Serious",
          "subject": { "kind": "Organization", "name": "福州冒名食品有限公司", "uscc": "{{uscc}}" },
          "decisionDate": "2026-05-10"
        }
        """);

    private async Task<int> ListingCount(HttpClient client, string uscc)
    {
        using var response = await client.GetAsync($"/api/subjects?uscc={uscc}");
        return response.StatusCode == HttpStatusCode.OK
            ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("listings").GetArrayLength()
            : 0;
    }

    private async Task<List<JsonElement>> Quarantine(string? agency = null) =>
        (await _operator.GetFromJsonAsync<JsonElement>($"/api/operator/quarantine{(agency is null ? "" : $"?agency={agency}")}")).EnumerateArray().ToList();

    /// <summary>Every RecordRejected about <paramref name="sourceId"/> that arrived so far (others are dropped).</summary>
    private async Task<List<JsonElement>> RejectedAbout(string sourceId)
    {
        var found = new List<JsonElement>();
        while (await _subscriber.NextAsync(_rejected, m => m.GetProperty("sourceRecordId").GetString() == sourceId) is { } m) found.Add(m);
        return found;
    }

    [Test, Order(1)]
    public async Task A_court_publishing_as_its_own_broker_user_gets_its_notice_applied()
    {
        await _court.PublishAsync(Listed, Listing(Court, "BI-A", TestIdentifiers.Uscc(5101)), Envelope, userId: BrokerUsers.UserOf(Court));

        await Eventually.Get(async () => await ListingCount(_client, TestIdentifiers.Uscc(5101)) == 1 ? "listed" : null, "the court's listing");
    }

    [Test, Order(2)]
    public async Task A_bureau_publishing_in_a_courts_name_is_quarantined_and_RecordRejected_goes_to_the_bureau_only()
    {
        await _food.PublishAsync(Penalties, Penalty(Court, "BI-B", TestIdentifiers.Uscc(5102)), Envelope, userId: BrokerUsers.UserOf(Food));

        var rejected = new List<JsonElement>();
        await Eventually.Get(async () => { rejected.AddRange(await RejectedAbout("BI-B")); return rejected.Count > 0 ? "rejected" : null; }, "RecordRejected about BI-B");
        await Task.Delay(1000); // a second event, to the court, would have been relayed with the first
        rejected.AddRange(await RejectedAbout("BI-B"));

        Assert.That(rejected.Select(r => (r.GetProperty("agencyCode").GetString(), r.GetProperty("reasonCode").GetString())),
            Is.EqualTo(new[] { (Food, "spoofed-source") }), "one RecordRejected, to the bureau that published it; none to the court");
        var entry = (await Quarantine(Food)).Single(q => q.GetProperty("sourceRecordId").GetString() == "BI-B");
        Assert.That(entry.GetProperty("reason").GetString(), Does.Contain("'food-35'").And.Contain("'COURT-34-1122'"));
        Assert.That(entry.GetProperty("id").GetString(), Is.EqualTo(rejected[0].GetProperty("quarantineId").GetString()));
        Assert.That((await Quarantine(Court)).Select(q => q.GetProperty("sourceRecordId").GetString()), Does.Not.Contain("BI-B"));
        Assert.That(await ListingCount(_client, TestIdentifiers.Uscc(5102)), Is.Zero);
    }

    [Test, Order(20)]
    public async Task An_agency_cannot_write_the_audit_log_through_its_own_exchange_with_or_without_user_id()
    {
        // the envelope names AuditRecorded: MassTransit picks the consumer by message type, whatever exchange it came by
        static string Forged() => Message("urn:message:hub:audit-recorded:v1", """
            { "entries": [ { "at": "2026-11-27T08:00:00Z", "principal": "LABOUR-32", "action": "subjects.lookup", "outcome": "disclosed",
                             "detail": "FORGED-AUDIT", "channel": "http" } ] }
            """);
        var errorsBefore = await _vhost.QueueDepthAsync("hub.aggregator_error") ?? 0;
        await _court.PublishAsync(Listed, Forged(), Envelope, userId: null);
        await _court.PublishAsync(Listed, Forged(), Envelope, userId: BrokerUsers.UserOf(Court));

        await Eventually.Get(async () => await _vhost.QueueDepthAsync("hub.aggregator_error") >= errorsBefore + 2 ? "refused" : null, "both forged audit messages in the error queue");
        using var auditor = await _hub.ClientAsAsync("auditor:test");
        var log = await auditor.GetStringAsync("/api/audit?limit=1000");
        Assert.That(log, Does.Not.Contain("FORGED-AUDIT"));
    }

    [Test, Order(3)]
    public async Task A_publish_without_user_id_is_quarantined_and_not_applied()
    {
        await _court.PublishAsync(Listed, Listing(Court, "BI-C", TestIdentifiers.Uscc(5103)), Envelope, userId: null);

        var entry = await Eventually.Get(async () => (await Quarantine()).FirstOrDefault(q => q.GetProperty("sourceRecordId").GetString() == "BI-C") is { ValueKind: JsonValueKind.Object } e ? new Box(e) : null,
            "BI-C in quarantine");
        Assert.That(entry.Value.GetProperty("reasonCode").GetString(), Is.EqualTo("spoofed-source"));
        Assert.That(entry.Value.GetProperty("agencyCode").ValueKind, Is.EqualTo(JsonValueKind.Null), "nobody vouched for the publisher");
        Assert.That(entry.Value.GetProperty("reason").GetString(), Does.Contain("no AMQP user_id"));
        await Task.Delay(1000);
        Assert.That(await RejectedAbout("BI-C"), Is.Empty, "no RecordRejected: there is nobody to tell, and never the court the record names");
        Assert.That(await ListingCount(_client, TestIdentifiers.Uscc(5103)), Is.Zero);
    }

    [Test, Order(4)]
    public async Task A_court_setting_another_agencys_user_id_is_refused_by_the_broker_itself()
    {
        await using var court = await RawBroker.ConnectAsync(_vhost.AmqpUriAs(BrokerUsers.UserOf(Court), RabbitMqTestVhost.AgencyPassword));

        Assert.That(async () => await court.PublishAsync(Listed, Listing("COURT-35-0102", "BI-D", TestIdentifiers.Uscc(5104)), Envelope, userId: "court-35-0102"),
            Throws.Exception);

        var closed = await Eventually.Get(() => Task.FromResult(court.ChannelClosedBecause), "the broker to close the channel");
        Assert.That(closed.ReplyCode, Is.EqualTo(406), closed.ReplyText);
        Assert.That(closed.ReplyText, Does.Contain("PRECONDITION_FAILED").And.Contain("user_id"));
    }

    [Test, Order(5)]
    public async Task A_bureau_cannot_write_to_a_court_exchange_at_all()
    {
        await using var food = await RawBroker.ConnectAsync(_vhost.AmqpUriAs(BrokerUsers.UserOf(Food), RabbitMqTestVhost.AgencyPassword));

        Assert.That(async () => await food.PublishAsync(Listed, Listing(Court, "BI-E", TestIdentifiers.Uscc(5105)), Envelope, userId: BrokerUsers.UserOf(Food)),
            Throws.Exception);

        var closed = await Eventually.Get(() => Task.FromResult(food.ChannelClosedBecause), "the broker to close the channel");
        Assert.That(closed.ReplyCode, Is.EqualTo(403), closed.ReplyText);
    }

    [Test]
    public async Task The_hub_in_server_mode_over_amqps_with_the_test_CA_ingests_a_court_notice_end_to_end()
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        var settings = HubFactory.ServerMode(vhost.HubAmqpsUri, database.ConnectionString);
        settings["Hub:Bus:Tls:CaFile"] = TestServers.RabbitMqCaFile;
        await using var hub = new HubFactory(settings);
        using var client = await hub.ClientAsAsync(Court);
        await Ready(client);

        using var post = await client.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", Company("TLS-1", uscc: TestIdentifiers.Uscc(5106)));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());
        await Eventually.Get(async () => await ListingCount(client, TestIdentifiers.Uscc(5106)) == 1 ? "listed" : null, "the notice, through TLS and the broker, in the index");

        // the management API lists connections from its statistics, a few seconds behind
        var connections = await Eventually.Get(async () =>
            (await vhost.Management.GetFromJsonAsync<JsonElement>($"api/vhosts/{vhost.Name}/connections")).EnumerateArray()
                .Where(c => c.GetProperty("user").GetString() == vhost.HubUser).ToList() is { Count: > 0 } found ? found : null, "the Hub's connection in the management API");
        Assert.That(connections.Select(c => c.GetProperty("ssl").GetBoolean()), Is.All.True, "the Hub's connections are TLS");
    }

    [TestCase(false, TestName = "The_hub_does_not_connect_over_amqps_to_a_broker_whose_CA_is_in_no_trust_store")]
    [TestCase(true, TestName = "The_hub_does_not_connect_over_amqps_to_a_broker_whose_certificate_is_not_from_the_CA_it_was_given")]
    public async Task The_hub_does_not_connect_over_amqps_to_an_untrusted_broker(bool anotherCa)
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        var settings = HubFactory.ServerMode(vhost.HubAmqpsUri, database.ConnectionString);
        var caFile = Path.Combine(Path.GetTempPath(), $"hub-other-ca-{Guid.NewGuid():N}.pem");
        if (anotherCa)
        {
            using var key = System.Security.Cryptography.RSA.Create(2048);
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=Another CA", key,
                System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
            var now = TimeProvider.System.GetUtcNow(); // a real certificate the TLS stack checks against the real clock
            using var ca = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
            await File.WriteAllTextAsync(caFile, ca.ExportCertificatePem());
            settings["Hub:Bus:Tls:CaFile"] = caFile;
        }
        await using var hub = new HubFactory(settings);
        using var client = hub.CreateClient();

        // the handshake must fail however long the Hub retries: the test CA is in no trust store of this machine, and a
        // CA file given replaces the trust stores rather than adding to them
        await Task.Delay(TimeSpan.FromSeconds(6));
        File.Delete(caFile);
        Assert.That((await client.GetAsync("/health/ready")).IsSuccessStatusCode, Is.False);
        var connections = (await vhost.Management.GetFromJsonAsync<JsonElement>($"api/vhosts/{vhost.Name}/connections")).EnumerateArray();
        Assert.That(connections.Select(c => c.GetProperty("user").GetString()), Does.Not.Contain(vhost.HubUser));
    }

    [Test]
    public async Task A_server_mode_start_without_broker_credentials_refuses_to_start_and_names_the_setting()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var hub = new HubFactory(HubFactory.ServerMode(new Uri("amqp://127.0.0.1:5672/hub"), database.ConnectionString));

        var error = Assert.Catch(() => hub.CreateClient().Dispose());
        var messages = string.Join(" | ", Chain(error));
        Assert.That(messages, Does.Contain("ConnectionStrings:RabbitMq").And.Contain("no user name and password"));
        Assert.That(messages, Does.Contain("never as guest"));

        static IEnumerable<string> Chain(Exception? e)
        {
            for (; e is not null; e = e.InnerException) yield return e.Message;
        }
    }

    private sealed record Box(JsonElement Value);
}
