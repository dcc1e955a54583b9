using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Testing;
using Npgsql;
using RabbitMQ.Client;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The aggregator as production runs it: its own broker user with the tags and permissions
/// <c>deploy/rabbitmq/definitions.json</c> gives <c>hub-aggregator</c> — no <c>impersonator</c> tag, so the broker refuses
/// any publish of it whose AMQP <c>user_id</c> is not its own. Agencies publish as their own users. A record that fails
/// for good must still reach <c>hub.aggregator_error</c> (and one of a type nothing consumes <c>hub.aggregator_skipped</c>),
/// an operator's replay must bring it back as published by the agency the broker vouched for at the start — and by no
/// one else, whatever headers an agency writes. Failures are made by a statement trigger on the inbox that raises while a
/// sequence says so: the same PostgreSQL error on every attempt, until the test lets go.
/// </summary>
[NonParallelizable]
public sealed class ErrorQueueUserTests
{
    private const string Listed = "hub.judgment-defaulter-listed";
    private const string Penalties = "hub.administrative-penalty-recorded";
    private const string ErrorQueue = "hub.aggregator_error";
    private const string SkippedQueue = "hub.aggregator_skipped";
    private const string Food = "FOOD-35";

    private RabbitMqTestVhost _vhost = default!;
    private PostgresTestDatabase _database = default!;
    private HubFactory _hub = default!;
    private HttpClient _operator = default!;
    private RawBroker _court = default!;
    private RawBroker _food = default!;
    private RawBroker _observer = default!;
    private string _aggregatorUser = "";

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _vhost = await RabbitMqTestVhost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        var (tags, configure, write, read) = AsDefined(BrokerUsers.AggregatorUser);
        Assert.That(tags, Does.Not.Contain(BrokerUsers.ImpersonatorTag), "the generated definitions make hub-aggregator no impersonator");
        _aggregatorUser = _vhost.Name + "-aggregator";
        var uri = await _vhost.CreateUserAsync(_aggregatorUser, Guid.NewGuid().ToString("N"), tags, configure, write, read);
        var settings = HubFactory.ServerMode(uri, _database.ConnectionString);
        settings["Hub:CourtAdapter:Enabled"] = "false"; // the aggregator alone, as it runs under hub-aggregator
        _hub = new HubFactory(settings);
        _operator = await _hub.ClientAsAsync("operator:test");
        await Eventually.Get(async () => (await _operator.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
        _court = await RawBroker.ConnectAsync(await _vhost.CreateAgencyUserAsync(Court));
        _food = await RawBroker.ConnectAsync(await _vhost.CreateAgencyUserAsync(Food));
        _observer = await RawBroker.ConnectAsync(_vhost.AmqpUri);
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _operator?.Dispose();
        if (_hub is not null) await _hub.DisposeAsync();
        foreach (var broker in new[] { _court, _food, _observer })
            if (broker is not null) await broker.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (_vhost is not null)
        {
            await _vhost.DeleteUserAsync(_aggregatorUser);
            await _vhost.DisposeAsync();
        }
    }

    /// <summary>Tags and permissions (configure, write, read) of <paramref name="user"/> in the generated definitions.</summary>
    private static (string Tags, string Configure, string Write, string Read) AsDefined(string user)
    {
        var definitions = JsonNode.Parse(new BrokerUsers(AgencyRegistry.Embedded(), LegalBasisCatalogue.Embedded()).Definitions())!;
        var u = definitions["users"]!.AsArray().Single(x => (string?)x!["name"] == user)!;
        var p = definitions["permissions"]!.AsArray().Single(x => (string?)x!["user"] == user)!;
        return ((string)u["tags"]!, (string)p["configure"]!, (string)p["write"]!, (string)p["read"]!);
    }

    private static string Envelope(string urn, string body) => new JsonObject
    {
        ["messageId"] = Guid.NewGuid().ToString(),
        ["messageType"] = new JsonArray(urn),
        ["message"] = JsonNode.Parse(body),
    }.ToJsonString();

    private static string Listing(string sourceId, string uscc) => Envelope("urn:message:hub:judgment-defaulter-listed:v1", $$"""
        {
          "source": { "agencyCode": "{{Court}}", "sourceRecordId": "{{sourceId}}", "revision": 1 },
          "legalBasis": "JD-2", "caseNumber": "(2026)皖1122执3001号", "enforcingCourt": "来安县人民法院",
          "subject": { "kind": "Organization", "name": "滁州错误队列测试有限公司", "uscc": "{{uscc}}" },
          "decisionDate": "2026-06-20"
        }
        """);

    /// <summary>A penalty in the court's name: what a bureau trying to pass as the court would send.</summary>
    private static string PenaltyAsCourt(string sourceId, string uscc) => Envelope("urn:message:hub:administrative-penalty-recorded:v1", $$"""
        {
          "source": { "agencyCode": "{{Court}}", "sourceRecordId": "{{sourceId}}", "revision": 1 },
          "legalBasis": "FOOD-SERIOUS", "decisionNumber": "闽食监罚〔2026〕12号", "category": "FoodSafety", "severity": "Serious",
          "subject": { "kind": "Organization", "name": "福州冒名食品有限公司", "uscc": "{{uscc}}" },
          "decisionDate": "2026-05-10"
        }
        """);

    /// <summary>The header an agency would forge to pass as another publisher (or as the Hub).</summary>
    private static Dictionary<string, object?> Forged(string user) => new() { [BrokerUsers.VerifiedPublisherHeader] = Encoding.UTF8.GetBytes(user) };

    private async Task Sql(string sql)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every write to the inbox — one per attempt to apply a batch — fails the first <paramref name="times"/>
    /// times from now (a sequence: it counts outside the transactions the failure rolls back).</summary>
    private Task FailBatches(int times) => Sql($"""
        DROP TRIGGER IF EXISTS test_fail ON inbox;
        DROP SEQUENCE IF EXISTS test_fail_attempts;
        CREATE SEQUENCE test_fail_attempts;
        CREATE OR REPLACE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF nextval('test_fail_attempts') <= {times} THEN RAISE EXCEPTION 'the test refuses this batch'; END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER test_fail BEFORE INSERT ON inbox FOR EACH STATEMENT EXECUTE FUNCTION test_fail();
        """);

    private async Task<long> BatchAttempts()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM test_fail_attempts", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private Task StopFailing() => Sql("DROP TRIGGER IF EXISTS test_fail ON inbox");

    private async Task<int> ListingCount(string uscc)
    {
        using var response = await _operator.GetAsync($"/api/subjects?uscc={uscc}");
        return response.StatusCode == HttpStatusCode.OK
            ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("listings").GetArrayLength()
            : 0;
    }

    private async Task<JsonElement?> Quarantined(string sourceId) =>
        (await _operator.GetFromJsonAsync<JsonElement>("/api/operator/quarantine")).EnumerateArray()
        .FirstOrDefault(q => q.GetProperty("sourceRecordId").GetString() == sourceId) is { ValueKind: JsonValueKind.Object } e ? e : null;

    /// <summary>Ready messages, as the broker counts them now (the management API's figures are sampled, seconds late).</summary>
    private async Task<long> Depth(string queue) => await _observer.CountAsync(queue);

    private static string? Text(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var v) ? v switch { byte[] b => Encoding.UTF8.GetString(b), var o => o?.ToString() } : null;

    [Test, Order(1)]
    public async Task A_record_failing_twice_is_retried_in_process_and_applied_as_the_agency_that_published_it()
    {
        await FailBatches(2);
        var uscc = TestIdentifiers.Uscc(7201);
        await _court.PublishAsync(Listed, Listing("EQ-RETRY", uscc), ServerHub.Envelope, userId: BrokerUsers.UserOf(Court));

        await Eventually.Get(async () => await ListingCount(uscc) == 1 ? "listed" : null, "the listing applied on a retry");
        Assert.That(await BatchAttempts(), Is.EqualTo(3), "two attempts refused, the third applied");
        Assert.That(await Quarantined("EQ-RETRY"), Is.Null, "retried in process, the delivery still carries the court's user_id");
        Assert.That(await Depth(ErrorQueue), Is.Zero);
        await StopFailing();
    }

    [Test, Order(2)]
    public async Task A_record_failing_for_good_reaches_the_error_queue_moved_by_the_aggregator_as_itself_naming_the_agency()
    {
        await FailBatches(int.MaxValue);
        await _court.PublishAsync(Listed, Listing("EQ-FAIL", TestIdentifiers.Uscc(7202)), ServerHub.Envelope, userId: BrokerUsers.UserOf(Court),
            headers: Forged("court-35-0102")); // a header of the agency's own is no business of the Hub's: overwritten
        // the bureau tries to pass as the court: its own user_id (the broker checks it), the court's user in the header
        await _food.PublishAsync(Penalties, PenaltyAsCourt("EQ-SPOOF", TestIdentifiers.Uscc(7203)), ServerHub.Envelope, userId: BrokerUsers.UserOf(Food),
            headers: Forged(BrokerUsers.UserOf(Court)));

        // three retries in process (0.2 s, 1 s, 5 s), then the move
        await Eventually.Get(async () => await Depth(ErrorQueue) == 2 ? "both" : null, "both records in hub.aggregator_error", seconds: 60);
        var copies = await _observer.PeekAsync(ErrorQueue, 2);
        Assert.That(copies, Has.Count.EqualTo(2));
        foreach (var copy in copies)
        {
            Assert.That(copy.BasicProperties.UserId, Is.EqualTo(_aggregatorUser), "the copy is published by the aggregator, as itself");
            Assert.That(Text(copy.BasicProperties.Headers, "MT-Fault-Message"), Does.Contain("the test refuses this batch"));
            Assert.That(Text(copy.BasicProperties.Headers, "MT-Fault-RetryCount"), Is.EqualTo("3"));
        }
        var publishers = copies.Select(c => Text(c.BasicProperties.Headers, BrokerUsers.VerifiedPublisherHeader)).ToList();
        Assert.That(publishers, Is.EquivalentTo(new[] { BrokerUsers.UserOf(Court), BrokerUsers.UserOf(Food) }),
            "each copy names the user the broker validated, not the header the agency wrote");
    }

    [Test, Order(3)]
    public async Task Replayed_after_the_cause_is_gone_the_courts_record_is_applied_and_the_bureaus_is_quarantined_as_its_own()
    {
        await StopFailing();
        var group = await Eventually.Value(async () => (await _operator.GetFromJsonAsync<JsonElement>("/api/operator/console/failed")).GetProperty("groups")
            .EnumerateArray().FirstOrDefault(g => g.GetProperty("count").GetInt32() == 2) is { ValueKind: JsonValueKind.Object } g ? g : (JsonElement?)null,
            "the two failures in one group");
        var groupId = group.GetProperty("id").GetString()!;
        var messages = (await _operator.GetFromJsonAsync<JsonElement>($"/api/operator/console/failed/groups/{groupId}")).EnumerateArray().ToList();
        Assert.That(messages.Select(m => (m.GetProperty("sourceRecordId").GetString(), m.GetProperty("publisherUser").GetString())),
            Is.EquivalentTo(new[] { ("EQ-FAIL", BrokerUsers.UserOf(Court)), ("EQ-SPOOF", BrokerUsers.UserOf(Food)) }), "the console names the vouched publishers");

        using (var replay = await _operator.PostAsync($"/api/operator/console/failed/groups/{groupId}/replay", null))
            Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.OK), await replay.Content.ReadAsStringAsync());

        await Eventually.Get(async () => await ListingCount(TestIdentifiers.Uscc(7202)) == 1 ? "listed" : null, "the court's replayed listing applied");
        Assert.That(await Quarantined("EQ-FAIL"), Is.Null);
        var spoofed = await Eventually.Value(() => Quarantined("EQ-SPOOF"), "the bureau's replayed record quarantined");
        Assert.That(spoofed.GetProperty("reasonCode").GetString(), Is.EqualTo("spoofed-source"));
        Assert.That(spoofed.GetProperty("agencyCode").GetString(), Is.EqualTo(Food), "published by the bureau, as the broker said at the start");
        Assert.That(spoofed.GetProperty("reason").GetString(), Does.Contain("'food-35'"));
        Assert.That(await ListingCount(TestIdentifiers.Uscc(7203)), Is.Zero);
        Assert.That(await Depth(ErrorQueue), Is.Zero);
    }

    [Test, Order(4)]
    public async Task A_header_naming_another_publisher_counts_for_nothing_on_an_agencys_own_message()
    {
        await _food.PublishAsync(Penalties, PenaltyAsCourt("EQ-FORGED", TestIdentifiers.Uscc(7204)), ServerHub.Envelope, userId: BrokerUsers.UserOf(Food),
            headers: Forged(BrokerUsers.UserOf(Court)));
        await _food.PublishAsync(Penalties, PenaltyAsCourt("EQ-FORGED-NO-USER", TestIdentifiers.Uscc(7205)), ServerHub.Envelope, userId: null,
            headers: Forged(BrokerUsers.UserOf(Court)));

        var forged = await Eventually.Value(() => Quarantined("EQ-FORGED"), "the forged record quarantined");
        Assert.That(forged.GetProperty("agencyCode").GetString(), Is.EqualTo(Food));
        var anonymous = await Eventually.Value(() => Quarantined("EQ-FORGED-NO-USER"), "the forged record without user_id quarantined");
        Assert.That(anonymous.GetProperty("agencyCode").ValueKind, Is.EqualTo(JsonValueKind.Null), "nobody vouched for it");
        Assert.That(await ListingCount(TestIdentifiers.Uscc(7204)) + await ListingCount(TestIdentifiers.Uscc(7205)), Is.Zero);
    }

    [Test, Order(5)]
    public async Task An_unreadable_message_and_one_nobody_consumes_reach_their_queues_and_are_not_delivered_again_and_again()
    {
        var errors = await Depth(ErrorQueue);
        await _court.PublishAsync(Listed, "{ this is not json", ServerHub.Envelope, userId: BrokerUsers.UserOf(Court));
        await _court.PublishAsync(Listed, Envelope("urn:message:hub:no-such-record:v1", "{}"), ServerHub.Envelope, userId: BrokerUsers.UserOf(Court));

        await Eventually.Get(async () => await Depth(ErrorQueue) == errors + 1 ? "moved" : null, "the unreadable message in hub.aggregator_error");
        await Eventually.Get(async () => await Depth(SkippedQueue) == 1 ? "moved" : null, "the message of no consumed type in hub.aggregator_skipped");
        var skipped = (await _observer.PeekAsync(SkippedQueue)).Single();
        Assert.That(skipped.BasicProperties.UserId, Is.EqualTo(_aggregatorUser));
        Assert.That(Text(skipped.BasicProperties.Headers, BrokerUsers.VerifiedPublisherHeader), Is.EqualTo(BrokerUsers.UserOf(Court)));
        Assert.That(await Depth("hub.aggregator"), Is.Zero);
    }

    [Test, Order(6)]
    public async Task A_message_the_broker_delivers_again_keeps_its_user_id_since_nothing_is_published()
    {
        // what a redelivery is — a nack with requeue, a closed channel, a lost connection: the broker hands the stored
        // message out again, properties untouched, and checks nothing, whoever consumes it
        await _observer.BindQueueAsync("hub.test-redelivery", Listed);
        await _court.PublishAsync(Listed, Listing("EQ-REDELIVERED", TestIdentifiers.Uscc(7206)), ServerHub.Envelope, userId: BrokerUsers.UserOf(Court));
        var first = (await _observer.PeekAsync("hub.test-redelivery")).Single();
        var again = (await _observer.GetAsync("hub.test-redelivery"))!;
        Assert.That((first.Redelivered, again.Redelivered), Is.EqualTo((false, true)));
        Assert.That(again.BasicProperties.UserId, Is.EqualTo(BrokerUsers.UserOf(Court)));
    }
    [Test, Order(7)]
    public async Task An_agencys_audit_entries_refused_and_replayed_by_an_operator_are_refused_again()
    {
        // the replay carries the Hub's user_id, which AuditRecorded is taken from: the publisher vouched for must count
        static string Audit() => Envelope("urn:message:hub:audit-recorded:v1", """
            { "entries": [ { "at": "2026-11-27T08:00:00Z", "principal": "LABOUR-32", "action": "subjects.lookup", "outcome": "disclosed",
                             "detail": "FORGED-AUDIT", "channel": "http" } ] }
            """);
        var before = await Depth(ErrorQueue);
        await _court.PublishAsync(Listed, Audit(), ServerHub.Envelope, userId: BrokerUsers.UserOf(Court));
        await _court.PublishAsync(Listed, Audit(), ServerHub.Envelope, userId: null, headers: Forged(_aggregatorUser));
        await Eventually.Get(async () => await Depth(ErrorQueue) == before + 2 ? "refused" : null, "both audit messages in the error queue");

        using (var replay = await _operator.PostAsync("/api/operator/console/failed/replay-all", null))
            Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.OK), await replay.Content.ReadAsStringAsync());
        await Eventually.Get(async () => (await _operator.GetFromJsonAsync<JsonElement>("/api/operator/console/failed")).GetProperty("groups").EnumerateArray().ToList()
            is var groups && groups.Sum(g => g.GetProperty("count").GetInt32()) == before + 2 && groups.All(g => g.GetProperty("repeats").GetInt32() == g.GetProperty("count").GetInt32())
                ? "back" : null, "every replayed message back in the error queue as a repeat");
        using var auditor = await _hub.ClientAsAsync("auditor:test");
        Assert.That(await auditor.GetStringAsync("/api/audit?limit=1000"), Does.Not.Contain("FORGED-AUDIT"));
    }
}
