using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Host.OperatorConsole;
using Hub.Storage;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The bulk path's error queue <c>hub.aggregator.bulk_error</c> as a first-class error queue, on the real RabbitMQ (with
/// its management API) and PostgreSQL: a court's batch that fails for good — every write to the inbox refused by a
/// statement trigger while a test says so, as in <see cref="ErrorQueueUserTests"/> — is moved there, indexed, listed by
/// the failed-messages API and <c>hub failed</c> with what failed and the exception, counted by <c>/api/operator/console/queues</c>
/// and <c>/metrics</c>, replayed by <c>hub replay</c> to <c>hub.aggregator.bulk</c> where it is applied once the cause is
/// gone, and a second one discarded with a reason.
/// </summary>
[NonParallelizable]
public sealed class BulkErrorQueueTests
{
    private const string BulkError = "hub.aggregator.bulk_error";
    private ServerHub _server = default!;
    private PostgresTestDatabase _database = default!;
    private HubFactory _hub = default!;
    private HttpClient _court = default!;
    private HttpClient _operator = default!;
    private RawBroker _courtBroker = default!;
    private RawBroker _observer = default!;
    private string _groupId = "";

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _server = await ServerHub.StartAsync(s =>
        {
            HubFactory.WithManagementApi(s);
            s["Hub:Metrics:CacheFor"] = "00:00:00.200";
        });
        (_database, _hub) = (_server.Database, _server.Hub);
        _court = await _server.ClientAsync(Court);
        _operator = await _server.ClientAsync("operator:test");
        _courtBroker = await _server.AgencyAsync(Court);
        _observer = await _server.ObserverAsync();
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private async Task Sql(string sql)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every write to the inbox fails from now on, until <see cref="StopFailing"/>.</summary>
    private Task FailBatches() => Sql("""
        CREATE OR REPLACE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the test refuses this batch'; END $$;
        DROP TRIGGER IF EXISTS test_fail ON inbox;
        CREATE TRIGGER test_fail BEFORE INSERT ON inbox FOR EACH STATEMENT EXECUTE FUNCTION test_fail();
        """);

    private Task StopFailing() => Sql("DROP TRIGGER IF EXISTS test_fail ON inbox");

    private static JsonObject Listing(string id, string uscc) => new()
    {
        ["source"] = new JsonObject { ["agencyCode"] = Court, ["sourceRecordId"] = id, ["revision"] = 1, ["recordedAt"] = "2026-06-11T08:00:00Z" },
        ["legalBasis"] = "JD-4",
        ["caseNumber"] = $"(2026)皖1122执{id}号",
        ["enforcingCourt"] = "来安县人民法院",
        ["subject"] = new JsonObject { ["kind"] = "Organization", ["name"] = $"安徽批量错误队列有限公司{id}", ["uscc"] = uscc },
        ["decisionDate"] = "2026-06-11",
    };

    private Task PublishBatchAsync(params (string Id, string Uscc)[] records) =>
        ServerHub.PublishAsync(_courtBroker, Court, "judgment-defaulter-listed-batch",
            new JsonObject { ["records"] = new JsonArray(records.Select(r => (JsonNode)Listing(r.Id, r.Uscc)).ToArray()) }.ToJsonString());

    private async Task<JsonElement> Get(string path)
    {
        using var r = await _operator.GetAsync(path);
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<bool> Applied(string uscc) => (await _court.GetAsync($"/api/subjects?uscc={uscc}")).IsSuccessStatusCode;

    private static readonly string[] Usccs = [TestIdentifiers.Uscc(9601), TestIdentifiers.Uscc(9602), TestIdentifiers.Uscc(9603)];

    [Test, Order(1)]
    public async Task A_batch_failing_for_good_lands_in_the_bulk_error_queue_and_is_indexed_and_listed_with_what_failed()
    {
        await FailBatches();
        await PublishBatchAsync(("BE-1", Usccs[0]), ("BE-2", Usccs[1]), ("BE-3", Usccs[2]));

        // three retries in process (0.2 s, 1 s, 5 s), then the move
        await Eventually.Get(async () => await _observer.CountAsync(BulkError) == 1 ? "moved" : null, "the batch in hub.aggregator.bulk_error", seconds: 60);
        Assert.That(await _observer.CountAsync("hub.aggregator_error"), Is.Zero, "the single-record path's error queue has nothing");
        var db = _hub.Services.GetRequiredService<IndexDatabase>();
        await Eventually.Get(async () => await db.CountFailedAsync(BulkError, CancellationToken.None) == 1 ? "indexed" : null, "the move indexed");
        await _hub.Services.GetRequiredService<FailedIndex>().FlushedAsync(CancellationToken.None);

        var view = await Get("/api/operator/console/failed");
        Assert.That(view.GetProperty("source").GetString(), Is.EqualTo("index"), "the bulk queue's index counts what the broker holds");
        var queues = view.GetProperty("queues").EnumerateArray()
            .Select(q => (q.GetProperty("queue").GetString(), q.GetProperty("replaysTo").GetString(), q.GetProperty("inQueue").GetInt64())).ToList();
        Assert.That(queues, Is.EqualTo(new[] { ("hub.aggregator_error", "hub.aggregator", 0L), (BulkError, "hub.aggregator.bulk", 1L) }));
        Assert.That(view.GetProperty("inQueue").GetInt64(), Is.EqualTo(1L));
        var group = view.GetProperty("groups").EnumerateArray().Single();
        Assert.That(group.GetProperty("queue").GetString(), Is.EqualTo(BulkError));
        Assert.That(group.GetProperty("count").GetInt32(), Is.EqualTo(1));
        Assert.That(group.GetProperty("cause").GetString(), Does.Contain("the test refuses this batch"));
        Assert.That(group.GetProperty("agencies").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { Court }));
        _groupId = group.GetProperty("id").GetString()!;

        var message = (await Get($"/api/operator/console/failed/groups/{_groupId}")).EnumerateArray().Single();
        Assert.That(message.GetProperty("queue").GetString(), Is.EqualTo(BulkError));
        Assert.That(message.GetProperty("messageType").GetString(), Is.EqualTo("urn:message:hub:judgment-defaulter-listed-batch:v1"));
        Assert.That((message.GetProperty("agencyCode").GetString(), message.GetProperty("sourceRecordId").GetString(), message.GetProperty("records").GetInt32()),
            Is.EqualTo((Court, "BE-1", 3)), "a batch is named by its first record and counts its records");
        Assert.That(message.GetProperty("publisherUser").GetString(), Is.EqualTo(BrokerUsers.UserOf(Court)));
        Assert.That(message.GetProperty("exceptionType").GetString(), Does.Contain("PostgresException"));
        Assert.That(message.GetProperty("reason").GetString(), Does.Contain("the test refuses this batch"));
        foreach (var uscc in Usccs) Assert.That(await Applied(uscc), Is.False);
    }

    [Test, Order(2)]
    public async Task Hub_failed_lists_the_bulk_error_queue_with_its_group_and_the_batch()
    {
        var failed = await OperatorCli.RunAsync(_operator, "failed");
        Assert.That(failed.Code, Is.Zero, failed.ToString());
        Assert.That(failed.Stdout, Does.StartWith("hub.aggregator_error: 0 message(s) in 0 group(s)\n"));
        Assert.That(failed.Stdout, Does.Contain($"{BulkError}: 1 message(s) in 1 group(s), replayed to hub.aggregator.bulk"));
        Assert.That(OperatorCli.Row(failed.Stdout, _groupId), Is.Not.Null, failed.ToString());

        var messages = await OperatorCli.RunAsync(_operator, "failed", "--group", _groupId);
        Assert.That(messages.Code, Is.Zero, messages.ToString());
        var header = OperatorCli.Row(messages.Stdout, "MESSAGE")!;
        var row = messages.Stdout.Split('\n').Skip(1).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Single(c => c.Length > 1);
        Assert.That(row[Array.IndexOf(header, "QUEUE")], Is.EqualTo(BulkError));
        Assert.That(row[Array.IndexOf(header, "RECORD")], Is.EqualTo("BE-1"));
        Assert.That(row[Array.IndexOf(header, "RECORDS")], Is.EqualTo("3"));
    }

    [Test, Order(3)]
    public async Task The_queue_figures_and_metrics_count_the_bulk_error_queue_as_an_error_queue()
    {
        // the management API samples every few seconds
        var figures = await Eventually.Value(async () => (await Get("/api/operator/console/queues")).GetProperty("queues").GetProperty("queues").EnumerateArray()
            .FirstOrDefault(q => q.GetProperty("name").GetString() == BulkError && q.GetProperty("ready") is { ValueKind: JsonValueKind.Number } r && r.GetInt64() == 1) is { ValueKind: JsonValueKind.Object } q
                ? q : (JsonElement?)null, "hub.aggregator.bulk_error with its message in the queue figures");
        Assert.That((figures.GetProperty("role").GetString(), figures.GetProperty("isError").GetBoolean()), Is.EqualTo(("error", true)));
        var bulk = (await Get("/api/operator/console/queues")).GetProperty("queues").GetProperty("queues").EnumerateArray()
            .Single(q => q.GetProperty("name").GetString() == "hub.aggregator.bulk");
        Assert.That((bulk.GetProperty("role").GetString(), bulk.GetProperty("isError").GetBoolean()), Is.EqualTo(("bulk", false)));

        var keyed = await _hub.ClientAsAsync("monitor:prometheus");
        var key = keyed.DefaultRequestHeaders.GetValues(Hub.Host.Security.HubAuthenticationHandler.ApiKeyHeader).Single();
        keyed.Dispose();
        using var monitor = _hub.CreateClient();
        monitor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var sample = MetricsTests.Parse(await monitor.GetStringAsync("/metrics")).SingleOrDefault(s => s.Name == "hub_queue_messages" &&
            s.Labels.GetValueOrDefault("queue") == BulkError && s.Labels.GetValueOrDefault("state") == "ready");
        Assert.That(sample, Is.Not.Null, "hub_queue_messages has the bulk error queue");
        Assert.That((sample!.Labels["role"], sample.Value), Is.EqualTo(("error", 1d)));
    }

    [Test, Order(4)]
    public async Task Hub_replay_sends_the_batch_back_to_the_bulk_queue_where_it_is_applied_once_the_cause_is_gone()
    {
        await StopFailing();
        var replay = await OperatorCli.RunAsync(_operator, "replay", "--group", _groupId);
        Assert.That(replay.Code, Is.Zero, replay.ToString());
        Assert.That(replay.Stdout, Does.StartWith("replayed 1 message(s) to the queue they failed on"));

        foreach (var uscc in Usccs)
            await Eventually.Get(async () => await Applied(uscc) ? "applied" : null, $"the replayed batch's listing of {uscc} applied", seconds: 30);
        Assert.That(await _observer.CountAsync(BulkError), Is.Zero);
        Assert.That(await _hub.Services.GetRequiredService<IndexDatabase>().CountFailedAsync(BulkError, CancellationToken.None), Is.Zero, "the replay left the index");
        var audit = await _hub.Services.GetRequiredService<IndexDatabase>().AuditLatestAsync(200, CancellationToken.None);
        Assert.That(audit.Any(e => e.Action == "failed.replay" && e.Detail!.StartsWith($"1 message(s) of group {_groupId} to hub.aggregator.bulk:", StringComparison.Ordinal)),
            Is.True, "the replay is audited with the queue it went back to");
        var again = await OperatorCli.RunAsync(_operator, "replay", "--group", _groupId);
        Assert.That(again.Code, Is.EqualTo(1), again.ToString());
    }

    [Test, Order(5)]
    public async Task A_failed_batch_is_discarded_with_a_reason_and_nothing_of_it_is_applied()
    {
        await FailBatches();
        var uscc = TestIdentifiers.Uscc(9611);
        await PublishBatchAsync(("BE-D1", uscc));
        await Eventually.Get(async () => await _observer.CountAsync(BulkError) == 1 ? "moved" : null, "the batch in hub.aggregator.bulk_error", seconds: 60);
        await StopFailing();
        var group = await Eventually.Value(async () => (await Get("/api/operator/console/failed")).GetProperty("groups").EnumerateArray()
            .FirstOrDefault(g => g.GetProperty("queue").GetString() == BulkError) is { ValueKind: JsonValueKind.Object } g ? g : (JsonElement?)null, "the failed batch listed");

        using var response = await _operator.PostAsJsonAsync($"/api/operator/console/failed/groups/{group.GetProperty("id").GetString()}/discard",
            new { reason = "sent again by the court in a corrected file" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(await _observer.CountAsync(BulkError), Is.Zero);
        var audit = await _hub.Services.GetRequiredService<IndexDatabase>().AuditLatestAsync(200, CancellationToken.None);
        Assert.That(audit.Any(e => e.Action == "failed.discard" && e.Detail!.Contains(BulkError) && e.Detail.Contains($"{Court}/BE-D1")), Is.True);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.That(await Applied(uscc), Is.False, "a discarded batch is not applied");
    }
}
