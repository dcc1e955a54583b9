using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Hub.Cli;
using Hub.Domain.Access;
using Hub.Host.OperatorConsole;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>The operator's commands (<c>hub queues|failed|replay|quarantine</c>) against a running Hub.</summary>
internal static class OperatorCli
{
    public sealed record Run(int Code, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {Code}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
    }

    public static async Task<Run> RunAsync(HttpClient client, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HubCli.RunAsync(args, stdout, stderr, client, CancellationToken.None);
        return new Run(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The table row (a line of stdout) that starts with <paramref name="first"/>, split into its cells.</summary>
    public static string[]? Row(string stdout, string first) =>
        stdout.Split('\n').Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .FirstOrDefault(cells => cells.Length > 0 && cells[0] == first);
}

/// <summary>On the embedded default: the queue table from the Hub's own counters, no error queue to read (said, not
/// hidden), quarantine counted, listed, released (refused again), rejected with a reason; refused credentials and
/// missing scopes named.</summary>
[NonParallelizable]
public sealed class OperatorCliTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-opcli-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _court = default!;
    private HttpClient _operator = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(HubFactory.Embedded(_file));
        _court = await _hub.ClientAsAsync(Court);
        _operator = await _hub.ClientAsAsync("operator:alice");
        await Eventually.Get(async () => (await _court.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _court.Dispose();
        _operator.Dispose();
        await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    [Test]
    public async Task Hub_queues_prints_the_aggregators_queue_from_the_Hubs_own_counters_beside_the_outbox()
    {
        var run = await OperatorCli.RunAsync(_operator, "queues");
        Assert.That(run.Code, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.StartWith("queues from the Hub's own counters at "));
        Assert.That(OperatorCli.Row(run.Stdout, "QUEUE"), Is.EqualTo(new[] { "QUEUE", "ROLE", "READY", "UNACKED", "IN/S", "OUT/S", "CONSUMERS", "OLDEST" }));
        var row = OperatorCli.Row(run.Stdout, "hub.aggregator");
        Assert.That(row, Is.Not.Null, run.ToString());
        Assert.That(row![1], Is.EqualTo("aggregator"));
        Assert.That(run.Stdout, Does.Match(@"outbox: \d+ pending"));
        Assert.That(run.Stdout, Does.Match(@"quarantine: \d+ waiting"));
        Assert.That(run.Stderr, Is.Empty, "no problem to report on the embedded default");
    }

    [Test]
    public async Task Failed_messages_and_replay_say_there_is_no_error_queue_on_the_embedded_default()
    {
        var failed = await OperatorCli.RunAsync(_operator, "failed");
        Assert.That(failed.Code, Is.Zero, failed.ToString());
        Assert.That(failed.Stderr, Does.Contain("there is no error queue to read"));

        var replay = await OperatorCli.RunAsync(_operator, "replay", "--group", "abc");
        Assert.That(replay.Code, Is.EqualTo(1), replay.ToString());
        Assert.That(replay.Stderr, Does.StartWith("hub: 409 the embedded default runs an in-memory bus"));

        var both = await OperatorCli.RunAsync(_operator, "replay", "--group", "abc", "--all");
        Assert.That(both.Code, Is.EqualTo(2));
        Assert.That(both.Stderr, Does.Contain("replay needs exactly one of --group ID, --message ID or --all"));
    }

    [Test]
    public async Task A_quarantined_record_is_counted_listed_released_refused_again_and_rejected_with_a_reason()
    {
        var uscc = TestIdentifiers.Uscc(7401);
        using (var r = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices",
                   new JsonArray(Company("CLI-Q-1", uscc: uscc[..17] + (uscc[17] == '0' ? '1' : '0')))))
            Assert.That(r.IsSuccessStatusCode, Is.True, await r.Content.ReadAsStringAsync());

        var groups = await Eventually.Get(async () =>
            await OperatorCli.RunAsync(_operator, "quarantine") is { Code: 0 } run && OperatorCli.Row(run.Stdout, "invalid-identifier") is not null ? run : null,
            "the notice quarantined");
        Assert.That(OperatorCli.Row(groups.Stdout, "invalid-identifier"), Is.EqualTo(new[]
            { "invalid-identifier", Court, "1", OperatorCli.Row(groups.Stdout, "invalid-identifier")![3], OperatorCli.Row(groups.Stdout, "invalid-identifier")![4] }));
        Assert.That(groups.Stdout, Does.StartWith("1 quarantined record(s) waiting"));

        var list = await OperatorCli.RunAsync(_operator, "quarantine", "list", "--reason", "invalid-identifier", "--agency", Court);
        Assert.That(list.Code, Is.Zero, list.ToString());
        var entry = list.Stdout.Split('\n').Skip(1).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Single(c => c.Length > 2 && c[2] == "CLI-Q-1");
        var id = entry[0];
        Assert.That(entry[1], Is.EqualTo(Court));

        var release = await OperatorCli.RunAsync(_operator, "quarantine", "release", id);
        Assert.That(release.Code, Is.EqualTo(1), release.ToString());
        Assert.That(release.Stderr, Does.StartWith("hub: 409 ").And.Contains("(reason code invalid-identifier)"));

        var noReason = await OperatorCli.RunAsync(_operator, "quarantine", "reject", id);
        Assert.That(noReason.Code, Is.EqualTo(2));
        Assert.That(noReason.Stderr, Does.Contain("quarantine reject needs --reason TEXT"));

        var reject = await OperatorCli.RunAsync(_operator, "quarantine", "reject", id, "--reason", "sent by mistake");
        Assert.That(reject.Code, Is.Zero, reject.ToString());
        Assert.That(reject.Stdout, Does.StartWith($"{id}: rejected"));

        var again = await OperatorCli.RunAsync(_operator, "quarantine", "release", id);
        Assert.That(again.Code, Is.EqualTo(1), again.ToString());
        Assert.That(again.Stderr, Does.StartWith("hub: 409 "));
        var none = await OperatorCli.RunAsync(_operator, "quarantine", "release", "no-such-entry");
        Assert.That(none.Code, Is.EqualTo(1), none.ToString());
        Assert.That(none.Stderr, Does.StartWith("hub: 404 "));
    }

    [Test]
    public async Task A_refused_key_and_a_missing_scope_are_named()
    {
        using var wrong = _hub.CreateClient();
        wrong.DefaultRequestHeaders.Add(Hub.Host.Security.HubAuthenticationHandler.ApiKeyHeader, "hub_not-a-key-the-hub-made");
        var refused = await OperatorCli.RunAsync(wrong, "queues");
        Assert.That(refused.Code, Is.EqualTo(3), refused.ToString());
        Assert.That(refused.Stderr, Does.StartWith("hub: the Hub refused the credentials (401): the API key is not valid"));
        Assert.That(refused.Stderr, Does.Contain("--api-key KEY or $HUB_API_KEY"));

        var court = await OperatorCli.RunAsync(_court, "failed");
        Assert.That(court.Code, Is.EqualTo(3), court.ToString());
        Assert.That(court.Stderr, Does.StartWith("hub: not allowed (403): this needs the scope 'operate'"));
        Assert.That(court.Stdout, Is.Empty);
    }
}

/// <summary>
/// In server mode on the real RabbitMQ and PostgreSQL: two listings that failed for one cause show as one group in
/// <c>hub failed</c> (beside a malformed message's), its messages in <c>hub failed --group</c>, and <c>hub replay --group</c> applies them; with the
/// management API down, <c>hub queues</c> says so and still prints the Hub's own figures.
/// </summary>
[NonParallelizable]
public sealed class OperatorCliServerModeTests
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

    /// <summary>A court's listing as MassTransit moved it to the error queue after a deadlock, with its fault headers.</summary>
    private Task PublishFailedAsync(string sourceId, string uscc, string faultMessage) =>
        ConsoleServerModeTests.PublishAsync(_vhost.HubAmqpUri, "hub.aggregator_error", ConsoleServerModeTests.FailedListing(sourceId, uscc),
            BrokerUsers.UserOf(Court), ConsoleServerModeTests.Fault("Npgsql.PostgresException", faultMessage));

    [Test, Order(1)]
    public async Task Hub_failed_groups_by_cause_lists_a_group_and_hub_replay_applies_it()
    {
        // a message no one can read: MassTransit moves it to the error queue, making the queue's exchange on the way
        await using (var connection = await new ConnectionFactory { Uri = _vhost.AmqpUri }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
            await channel.BasicPublishAsync("hub.judgment-defaulter-listed", "", mandatory: false,
                new BasicProperties { ContentType = Envelope, MessageId = Guid.NewGuid().ToString() }, Encoding.UTF8.GetBytes("{ this is not json"));
        await Eventually.Get(async () => await _vhost.QueueDepthAsync("hub.aggregator_error") is 1 ? "there" : null, "the malformed message in the error queue");
        var (a, b) = (TestIdentifiers.Uscc(7501), TestIdentifiers.Uscc(7502));
        await PublishFailedAsync("CLI-RPL-1", a, "40P01: deadlock detected on relation 16384 by process 4711");
        await PublishFailedAsync("CLI-RPL-2", b, "40P01: deadlock detected on relation 16399 by process 812");
        await Eventually.Get(async () => await _vhost.QueueDepthAsync("hub.aggregator_error") is 3 ? "all" : null, "three messages in the error queue");

        var failed = await OperatorCli.RunAsync(_operator, "failed");
        Assert.That(failed.Code, Is.Zero, failed.ToString());
        Assert.That(failed.Stdout, Does.StartWith("hub.aggregator_error: 3 message(s) in 2 group(s)"));
        var header = OperatorCli.Row(failed.Stdout, "GROUP");
        Assert.That(header, Is.EqualTo(new[] { "GROUP", "COUNT", "REPEATS", "EXCEPTION", "AGENCIES", "FIRST", "LAST", "CAUSE" }));
        var group = failed.Stdout.Split('\n').Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Single(c => c.Length == 8 && c[3] == "Npgsql.PostgresException");
        Assert.That(group[1], Is.EqualTo("2"));
        Assert.That(group[4], Is.EqualTo(Court));
        Assert.That(group[7], Does.Contain("deadlock detected on relation {n}"));
        var groupId = group[0];

        var messages = await OperatorCli.RunAsync(_operator, "failed", "--group", groupId);
        Assert.That(messages.Code, Is.Zero, messages.ToString());
        Assert.That(OperatorCli.Row(messages.Stdout, "MESSAGE"), Is.Not.Null, messages.ToString());
        Assert.That(messages.Stdout, Does.Contain("CLI-RPL-1").And.Contain("CLI-RPL-2"));

        var replay = await OperatorCli.RunAsync(_operator, "replay", "--group", groupId);
        Assert.That(replay.Code, Is.Zero, replay.ToString());
        Assert.That(replay.Stdout, Does.StartWith("replayed 2 message(s) to the queue they failed on"));
        foreach (var uscc in new[] { a, b })
            await Eventually.Get(async () => (await _court.GetAsync($"/api/subjects?uscc={uscc}")).IsSuccessStatusCode ? "applied" : null, $"the replayed listing of {uscc} applied");

        var again = await OperatorCli.RunAsync(_operator, "replay", "--group", groupId);
        Assert.That(again.Code, Is.EqualTo(1), again.ToString());
        Assert.That(again.Stderr, Does.StartWith($"hub: 404 no failed message matches group {groupId}"));
        var empty = await OperatorCli.RunAsync(_operator, "failed");
        Assert.That(empty.Stdout, Does.StartWith("hub.aggregator_error: 1 message(s) in 1 group(s)"), empty.ToString());
        Assert.That(empty.Stdout, Does.Not.Contain(groupId));
    }

    [Test, Order(2)]
    public async Task Hub_queues_shows_the_brokers_figures_and_says_when_the_management_API_is_down()
    {
        var up = await Eventually.Get(async () =>
            await OperatorCli.RunAsync(_operator, "queues") is { Code: 0 } run && OperatorCli.Row(run.Stdout, "hub.aggregator_error") is not null ? run : null,
            "the error queue in the broker's figures");
        Assert.That(up.Stdout, Does.StartWith("queues from the broker's management API"));
        Assert.That(up.Stderr, Is.Empty);

        var options = _hub.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value;
        var url = options.ManagementUrl;
        options.ManagementUrl = new Uri("http://127.0.0.1:9/");
        try
        {
            var down = await OperatorCli.RunAsync(_operator, "queues");
            Assert.That(down.Code, Is.Zero, down.ToString());
            Assert.That(down.Stderr, Does.StartWith("hub: the broker's management API at http://127.0.0.1:9/ cannot be reached"));
            Assert.That(down.Stdout, Does.StartWith("queues from the Hub's own counters"));
            Assert.That(OperatorCli.Row(down.Stdout, "hub.aggregator"), Is.Not.Null, down.ToString());
            Assert.That(OperatorCli.Row(down.Stdout, "hub.aggregator_error"), Is.Null, "only what the Hub counts itself");
        }
        finally
        {
            options.ManagementUrl = url;
        }
    }
}
