using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Host.OperatorConsole;
using Hub.Storage;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The console in server mode on the real RabbitMQ and PostgreSQL: queue figures as the management API reports them
/// (and a clear answer when it cannot be reached), failed messages in <c>hub.aggregator_error</c> grouped by cause,
/// replayed and applied once the cause is gone, a message failing again after a replay shown as a repeat, and a
/// discard with its reason on the audit log.
/// </summary>
[NonParallelizable]
public sealed class ConsoleServerModeTests
{
    private const string Envelope = "application/vnd.masstransit+json";
    private ServerHub _server = default!;
    private RabbitMqTestVhost _vhost = default!;
    private HubFactory _hub = default!;
    private HttpClient _court = default!;
    private HttpClient _operator = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _server = await ServerHub.StartAsync(s => HubFactory.WithManagementApi(s));
        (_vhost, _hub) = (_server.Vhost, _server.Hub);
        _court = await _server.ClientAsync(Court);
        _operator = await _server.ClientAsync("operator:test");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private async Task<JsonElement> Get(string path)
    {
        using var r = await _operator.GetAsync(path);
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<JsonElement> Post(string path, object? body, HttpStatusCode expected)
    {
        using var r = await _operator.PostAsJsonAsync(path, body ?? new { });
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(expected), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The error queue's depth as the broker declares it now (the management API's figure is sampled, seconds late).</summary>
    private async Task<long> InErrorQueue() => (await Get("/api/operator/console/failed")).GetProperty("inQueue").GetInt64();

    private async Task<List<JsonElement>> Groups() => (await Get("/api/operator/console/failed")).GetProperty("groups").EnumerateArray().ToList();

    /// <summary>Publishes into the vhost as <paramref name="uri"/>'s user, with confirms.</summary>
    internal static async Task PublishAsync(Uri uri, string exchange, string body, string? userId, IDictionary<string, object?>? headers = null)
    {
        await using var connection = await new ConnectionFactory { Uri = uri }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var props = new BasicProperties
        {
            ContentType = Envelope, DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString(), UserId = userId, Headers = headers,
        };
        await channel.BasicPublishAsync(exchange, "", mandatory: false, props, Encoding.UTF8.GetBytes(body));
    }

    /// <summary>A court's listing that failed in an earlier run: the envelope as MassTransit moved it, with its fault headers.</summary>
    internal static string FailedListing(string sourceId, string uscc) => new JsonObject
    {
        ["messageId"] = Guid.NewGuid().ToString(),
        ["messageType"] = new JsonArray("urn:message:hub:judgment-defaulter-listed:v1"),
        ["message"] = JsonNode.Parse($$"""
            {
              "source": { "agencyCode": "{{Court}}", "sourceRecordId": "{{sourceId}}", "revision": 1 },
              "legalBasis": "JD-2", "caseNumber": "(2026)皖1122执3001号", "enforcingCourt": "来安县人民法院",
              "subject": { "kind": "Organization", "name": "滁州重放测试有限公司", "uscc": "{{uscc}}" },
              "decisionDate": "2026-06-20"
            }
            """),
    }.ToJsonString();

    internal static Dictionary<string, object?> Fault(string exceptionType, string message) => new()
    {
        ["MT-Reason"] = Encoding.UTF8.GetBytes("fault"),
        ["MT-Fault-ExceptionType"] = Encoding.UTF8.GetBytes(exceptionType),
        ["MT-Fault-Message"] = Encoding.UTF8.GetBytes(message),
        ["MT-Fault-Timestamp"] = Encoding.UTF8.GetBytes("2026-06-21T03:04:05.0000000Z"),
    };

    [Test, Order(1)]
    public async Task The_queue_figures_are_the_ones_the_management_API_reports()
    {
        // the management API samples every few seconds: wait until it has seen the aggregator's consumer and counted the
        // queue's messages (a queue's message figures are null until its first sample, a while after its consumer shows)
        var reported = await Eventually.Value(async () => await _vhost.Management.GetFromJsonAsync<JsonElement>($"api/queues/{_vhost.Name}/hub.aggregator")
            is { ValueKind: JsonValueKind.Object } q && q.TryGetProperty("consumers", out var c) && c.GetInt32() > 0
            && q.TryGetProperty("messages_ready", out var r) && r.ValueKind == JsonValueKind.Number ? q : (JsonElement?)null,
            "the management API seeing the aggregator's consumer and counting its messages");
        var queues = await Eventually.Value(async () => (await Get("/api/operator/console/queues")).GetProperty("queues") is var figures
            && figures.GetProperty("queues").EnumerateArray().Any(q => q.GetProperty("name").GetString() == "hub.aggregator" && q.GetProperty("ready").ValueKind == JsonValueKind.Number)
                ? figures : (JsonElement?)null, "the console showing the aggregator's queue with its figures");
        Assert.That(queues.GetProperty("source").GetString(), Is.EqualTo("management"));
        Assert.That(queues.GetProperty("brokerReachable").GetBoolean(), Is.True, queues.ToString());
        var aggregator = queues.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "hub.aggregator");
        Assert.That(aggregator.GetProperty("consumers").GetInt32(), Is.EqualTo(reported.GetProperty("consumers").GetInt32()).And.GreaterThan(0));
        Assert.That(aggregator.GetProperty("ready").GetInt64(), Is.EqualTo(reported.GetProperty("messages_ready").GetInt64()));
        Assert.That(aggregator.GetProperty("isError").GetBoolean(), Is.False);
    }

    [Test, Order(2)]
    public async Task Failed_messages_are_grouped_by_cause_and_a_group_replayed_after_the_cause_is_fixed_is_applied()
    {
        // two listings that failed for one cause (a deadlock, numbers differing), and a message no one can read
        var hub = _vhost.HubAmqpUri;
        await PublishAsync(_vhost.AmqpUri, "hub.judgment-defaulter-listed", "{ this is not json", userId: null);
        await Eventually.Get(async () => await _vhost.QueueDepthAsync("hub.aggregator_error") is > 0 ? "there" : null, "the malformed message in the error queue");
        var (a, b) = (TestIdentifiers.Uscc(9101), TestIdentifiers.Uscc(9102));
        await PublishAsync(hub, "hub.aggregator_error", FailedListing("RPL-1", a), BrokerUsers.UserOf(Court),
            Fault("Npgsql.PostgresException", "40P01: deadlock detected on relation 16384 by process 4711 at 2026-06-21 03:04:05"));
        await PublishAsync(hub, "hub.aggregator_error", FailedListing("RPL-2", b), BrokerUsers.UserOf(Court),
            Fault("Npgsql.PostgresException", "40P01: deadlock detected on relation 16399 by process 812 at 2026-06-21 03:04:06"));
        await Eventually.Get(async () => await _vhost.QueueDepthAsync("hub.aggregator_error") is 3 ? "all" : null, "three messages in the error queue");

        var groups = await Groups();
        Assert.That(groups, Has.Count.EqualTo(2), string.Join("\n", groups));
        var deadlock = groups.Single(g => g.GetProperty("exceptionType").GetString() == "Npgsql.PostgresException");
        Assert.That(deadlock.GetProperty("count").GetInt32(), Is.EqualTo(2));
        Assert.That(deadlock.GetProperty("cause").GetString(), Does.Contain("deadlock detected on relation {n}"));
        Assert.That(deadlock.GetProperty("agencies").EnumerateArray().Select(x => x.GetString()), Is.EqualTo(new[] { Court }));
        Assert.That(await InErrorQueue(), Is.EqualTo(3L), "reading puts every message back");

        var groupId = deadlock.GetProperty("id").GetString()!;
        var messages = (await Get($"/api/operator/console/failed/groups/{groupId}")).EnumerateArray().ToList();
        Assert.That(messages.Select(m => m.GetProperty("sourceRecordId").GetString()), Is.EquivalentTo(new[] { "RPL-1", "RPL-2" }));
        Assert.That(messages.Select(m => m.GetProperty("repeat").GetBoolean()), Has.All.False);

        var replayed = await Post($"/api/operator/console/failed/groups/{groupId}/replay", null, HttpStatusCode.OK);
        Assert.That(replayed.GetProperty("count").GetInt32(), Is.EqualTo(2));
        foreach (var uscc in new[] { a, b })
            await Eventually.Get(async () => (await _court.GetAsync($"/api/subjects?uscc={uscc}")).IsSuccessStatusCode ? "applied" : null, $"the replayed listing of {uscc} applied");
        Assert.That((await Groups()).Select(g => g.GetProperty("id").GetString()), Does.Not.Contain(groupId), "the group is empty");
        await Post($"/api/operator/console/failed/groups/{groupId}/replay", null, HttpStatusCode.NotFound);
        await Post("/api/operator/console/failed/messages/no-such-message/replay", null, HttpStatusCode.NotFound);

        var audit = await _hub.Services.GetRequiredService<IndexDatabase>().AuditLatestAsync(200, CancellationToken.None);
        Assert.That(audit.Any(e => e.Action == "failed.replay" && e.Detail!.StartsWith("2 message(s) of group " + groupId, StringComparison.Ordinal)), Is.True);
    }

    [Test, Order(3)]
    public async Task A_message_that_fails_again_after_a_replay_comes_back_as_a_repeat_and_is_discarded_with_a_reason()
    {
        var malformed = (await Groups()).Single();
        Assert.That(malformed.GetProperty("repeats").GetInt32(), Is.Zero);
        var id = (await Get($"/api/operator/console/failed/groups/{malformed.GetProperty("id").GetString()}")).EnumerateArray().Single().GetProperty("id").GetString()!;

        await Post($"/api/operator/console/failed/messages/{id}/replay", null, HttpStatusCode.OK);
        var back = await Eventually.Get(async () => (await Groups()).FirstOrDefault(g => g.GetProperty("repeats").GetInt32() == 1) is { ValueKind: JsonValueKind.Object } g
            ? new Box(g) : null, "the replayed message back in the error queue as a repeat");
        var again = (await Get($"/api/operator/console/failed/groups/{back.Value.GetProperty("id").GetString()}")).EnumerateArray().Single();
        Assert.That(again.GetProperty("repeat").GetBoolean(), Is.True);
        Assert.That(again.GetProperty("replays").GetInt32(), Is.EqualTo(1));

        var groupId = back.Value.GetProperty("id").GetString()!;
        var noReason = await Post($"/api/operator/console/failed/groups/{groupId}/discard", new { reason = "" }, HttpStatusCode.BadRequest);
        Assert.That(noReason.GetProperty("field").GetString(), Is.EqualTo("reason"));
        Assert.That(await InErrorQueue(), Is.EqualTo(1L), "nothing changed");
        var discarded = await Post($"/api/operator/console/failed/groups/{groupId}/discard", new { reason = "test garbage, nobody sent it" }, HttpStatusCode.OK);
        Assert.That(discarded.GetProperty("count").GetInt32(), Is.EqualTo(1));
        Assert.That(await InErrorQueue(), Is.Zero);
        var audit = await _hub.Services.GetRequiredService<IndexDatabase>().AuditLatestAsync(200, CancellationToken.None);
        Assert.That(audit.Any(e => e.Action == "failed.discard" && e.Detail!.Contains("test garbage, nobody sent it")), Is.True);
    }

    [Test, Order(4)]
    public async Task When_the_management_API_cannot_be_reached_the_console_says_so_and_shows_the_Hubs_own_figures()
    {
        var options = _hub.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value;
        var url = options.ManagementUrl;
        options.ManagementUrl = new Uri("http://127.0.0.1:9/");
        try
        {
            var queues = (await Get("/api/operator/console/queues")).GetProperty("queues");
            Assert.That(queues.GetProperty("brokerReachable").GetBoolean(), Is.False);
            Assert.That(queues.GetProperty("problem").GetString(), Does.Contain("cannot be reached"));
            Assert.That(queues.GetProperty("source").GetString(), Is.EqualTo("counters"));
            Assert.That(queues.GetProperty("queues").EnumerateArray().Single().GetProperty("name").GetString(), Is.EqualTo("hub.aggregator"));
        }
        finally
        {
            options.ManagementUrl = url;
        }
    }

    [Test, Order(5)]
    public async Task Quarantine_groups_decisions_and_heartbeats_work_on_PostgreSQL()
    {
        var uscc = TestIdentifiers.Uscc(9401);
        using (var r = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices",
                   new JsonArray(Company("PG-BAD-1", uscc: uscc[..17] + (uscc[17] == '0' ? '1' : '0')))))
            Assert.That(r.IsSuccessStatusCode, Is.True, await r.Content.ReadAsStringAsync());
        var group = await Eventually.Value(async () => (await Get("/api/operator/console/quarantine")).GetProperty("groups").EnumerateArray()
            .FirstOrDefault(g => g.GetProperty("reasonCode").GetString() == "invalid-identifier") is { ValueKind: JsonValueKind.Object } g ? g : (JsonElement?)null,
            "the notice quarantined");
        Assert.That(group.GetProperty("agencyCode").GetString(), Is.EqualTo(Court));
        var all = (await Get("/api/operator/console/quarantine/entries")).EnumerateArray().ToList();
        var mine = (await Get($"/api/operator/console/quarantine/entries?reasonCode=invalid-identifier&agency={Court}")).EnumerateArray().Single();
        Assert.That(all.Select(e => e.GetProperty("id").GetString()), Does.Contain(mine.GetProperty("id").GetString()));
        var id = mine.GetProperty("id").GetString()!;
        var again = await Post($"/api/operator/console/quarantine/{id}/release", null, HttpStatusCode.Conflict);
        Assert.That(again.GetProperty("reasonCode").GetString(), Is.EqualTo("invalid-identifier"));
        await Post($"/api/operator/console/quarantine/{id}/reject", new { reason = "sent by mistake" }, HttpStatusCode.OK);
        var decided = (await Get("/api/operator/console/quarantine/entries?decided=true")).EnumerateArray().Single();
        Assert.That(decided.GetProperty("decision").GetString(), Is.EqualTo("rejected"));
        Assert.That(decided.GetProperty("note").GetString(), Is.EqualTo("sent by mistake"));
        Assert.That((await Get("/api/operator/console/queues")).GetProperty("outbox").GetProperty("pending").GetInt64(), Is.GreaterThanOrEqualTo(0));
        var services = await Eventually.Get(async () => (await Get("/api/operator/console/services")).EnumerateArray().ToList() is { Count: > 0 } l ? l : null, "a heartbeat");
        Assert.That(services.Single().GetProperty("silent").GetBoolean(), Is.False);
    }

    private sealed record Box(JsonElement Value);

    [Test, Order(6)]
    public async Task Messages_the_aggregator_moves_to_the_error_queue_are_grouped_from_the_index_and_leave_it_when_discarded()
    {
        var index = _hub.Services.GetRequiredService<FailedIndex>();
        var db = _hub.Services.GetRequiredService<IndexDatabase>();
        for (var i = 0; i < 2; i++) await PublishAsync(_vhost.AmqpUri, "hub.judgment-defaulter-listed", "{ not json " + i, userId: null);
        await PublishAsync(_vhost.AmqpUri, "hub.judgment-defaulter-listed", "[\"JSON, but no envelope\"]", userId: null);
        await Eventually.Get(async () => await _vhost.QueueDepthAsync("hub.aggregator_error") is 3 ? "moved" : null, "three messages moved to the error queue");
        // indexed as they were moved (the broker counts a move a moment before the aggregator is told it is confirmed)
        await Eventually.Get(async () => await db.CountFailedAsync("hub.aggregator_error", CancellationToken.None) == 3 ? "indexed" : null, "the moves indexed");
        await index.FlushedAsync(CancellationToken.None);

        var view = await Get("/api/operator/console/failed");
        Assert.That(view.GetProperty("source").GetString(), Is.EqualTo("index"), "the index counts what the broker holds: no read of the queue");
        var groups = view.GetProperty("groups").EnumerateArray().ToList();
        Assert.That(groups.Select(g => (g.GetProperty("exceptionType").GetString(), g.GetProperty("count").GetInt32())),
            Is.EqualTo(new[] { ("System.Text.Json.JsonReaderException", 2), ("System.Text.Json.JsonException", 1) }), "not JSON; JSON but no envelope");
        Assert.That(view.GetProperty("inQueue").GetInt64(), Is.EqualTo(3L));
        var listed = (await Get($"/api/operator/console/failed/groups/{groups[0].GetProperty("id").GetString()}")).EnumerateArray().ToList();
        Assert.That(listed, Has.Count.EqualTo(2));

        // the queue purged behind the Hub's back: the index no longer counts what the queue holds, and is not trusted
        using (var purge = await _vhost.Management.DeleteAsync($"api/queues/{_vhost.Name}/hub.aggregator_error/contents"))
            Assert.That(purge.IsSuccessStatusCode, Is.True);
        var afterPurge = await Get("/api/operator/console/failed");
        Assert.That((afterPurge.GetProperty("source").GetString(), afterPurge.GetProperty("inQueue").GetInt64()), Is.EqualTo(("scan", 0L)));
        Assert.That(await db.CountFailedAsync("hub.aggregator_error", CancellationToken.None), Is.Zero, "a whole read replaced the index");

        await PublishAsync(_vhost.AmqpUri, "hub.judgment-defaulter-listed", "{ not json either", userId: null);
        await Eventually.Get(async () => await _vhost.QueueDepthAsync("hub.aggregator_error") is 1 ? "moved" : null, "one more moved");
        await Eventually.Get(async () => await db.CountFailedAsync("hub.aggregator_error", CancellationToken.None) == 1 ? "indexed" : null, "the move indexed");
        var one = (await Get("/api/operator/console/failed")).GetProperty("groups").EnumerateArray().Single();
        var discarded = await Post($"/api/operator/console/failed/groups/{one.GetProperty("id").GetString()}/discard", new { reason = "garbage" }, HttpStatusCode.OK);
        Assert.That(discarded.GetProperty("count").GetInt32(), Is.EqualTo(1));
        Assert.That(await db.CountFailedAsync("hub.aggregator_error", CancellationToken.None), Is.Zero, "what left the queue left the index");
        Assert.That((await Get("/api/operator/console/failed")).GetProperty("source").GetString(), Is.EqualTo("index"));
    }
}
