using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Hub.Contracts;
using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Testing;
using RabbitMQ.Client;

namespace Hub.Integration.Tests;

/// <summary>
/// The Python sample subscriber (samples/subscriber/subscriber.py, Debian's python3-pika on /usr/bin/python3) against
/// the real broker, as an agency runs it: the topic exchange <c>hub.events</c> and the agency's queue
/// <c>hub.subscriber.food-35</c> are declared and bound here the way the Hub will declare them, events are published
/// as plain JSON with the spec's properties, and the sample consumes as the agency's own broker user, which may read
/// its queue and declare nothing.
/// </summary>
[NonParallelizable]
public sealed class SampleSubscriberTests
{
    private const string Exchange = "hub.events";
    private const string Food = "FOOD-35";
    private static readonly string Queue = "hub.subscriber." + BrokerUsers.UserOf(Food);

    /// <summary>The event's own fields, camelCase, enums and dates as strings, no envelope.</summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private RabbitMqTestVhost _vhost = default!;
    private IConnection _connection = default!;
    private IChannel _hub = default!;
    private Uri _agency = default!;

    [OneTimeSetUp]
    public async Task DeclareAsTheHubWill()
    {
        _vhost = await RabbitMqTestVhost.CreateAsync();
        _connection = await new ConnectionFactory { Uri = _vhost.AmqpUri }.CreateConnectionAsync();
        _hub = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await _hub.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true, autoDelete: false);
        await _hub.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
        await _hub.QueueBindAsync(Queue, Exchange, "listed.food-safety-serious.*");
        _agency = await CreateSubscribingAgencyUserAsync(_vhost, Food);
    }

    /// <summary>Each test starts from an empty queue: what one leaves behind when it fails does not fail the next.</summary>
    [SetUp]
    public Task EmptyTheQueue() => _hub.QueuePurgeAsync(Queue);

    [OneTimeTearDown]
    public async Task Remove()
    {
        if (_hub is not null) await _hub.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    /// <summary>
    /// <see cref="RabbitMqTestVhost.CreateAgencyUserAsync"/> gives an agency read on nothing (what the generated
    /// definitions give today); a subscribing agency may in addition read (consume) its own queue, and still configure
    /// nothing. Same user, password and write permission, so fixtures running beside this one see no difference.
    /// </summary>
    private static Task<Uri> CreateSubscribingAgencyUserAsync(RabbitMqTestVhost vhost, string agencyCode)
    {
        var agency = AgencyRegistry.Embedded().Find(agencyCode) ?? throw new ArgumentException($"{agencyCode} is no registered agency", nameof(agencyCode));
        var users = new BrokerUsers(AgencyRegistry.Embedded(), LegalBasisCatalogue.Embedded());
        var ownQueue = "^" + Regex.Escape("hub.subscriber." + BrokerUsers.UserOf(agency)) + "$";
        return vhost.CreateUserAsync(BrokerUsers.UserOf(agency), RabbitMqTestVhost.AgencyPassword, "", BrokerUsers.Nothing, users.WritePattern(agency.Kind), ownQueue);
    }

    private static SubjectListed Listed(string uscc, string origin = Food, string province = "35", string listType = "food-safety-serious") => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        HubSubjectId = Guid.NewGuid().ToString("N"),
        SubjectKind = SubjectKind.Organization,
        DisplayName = "福州样例食品有限公司",
        Identifier = uscc,
        ListingId = Guid.NewGuid().ToString("N"),
        ListType = listType,
        LegalBasis = listType == "food-safety-serious" ? "FOOD-SERIOUS" : "JD-2",
        CatalogueVersion = "2026.2",
        OriginAgency = origin,
        OriginProvince = province,
        ValidFrom = new DateOnly(2026, 5, 10),
        ValidUntil = new DateOnly(2029, 5, 9),
        RecordedAt = new DateTimeOffset(2026, 5, 10, 8, 0, 0, TimeSpan.Zero),
    };

    private static string KeyOf(SubjectListed e) => $"listed.{e.ListType}.{e.OriginProvince}";

    /// <summary>Publishes as the outbox relay will: plain JSON, persistent, message id = eventId, type = the URN, header
    /// <c>hub-event</c>; waits for the broker's confirm. <paramref name="mustRoute"/>: mandatory, so a message no queue
    /// takes fails here instead of being dropped silently.</summary>
    private async Task PublishAsync(string routingKey, string eventId, byte[] body, bool mustRoute = true)
    {
        var props = new BasicProperties
        {
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = eventId,
            Type = "urn:message:hub:subject-listed:v1",
            Headers = new Dictionary<string, object?> { ["hub-event"] = "listed" },
        };
        await _hub.BasicPublishAsync(Exchange, routingKey, mandatory: mustRoute, props, body);
    }

    private Task PublishAsync(SubjectListed e, bool mustRoute = true) => PublishAsync(KeyOf(e), e.EventId, JsonSerializer.SerializeToUtf8Bytes(e, Json), mustRoute);

    private sealed record Run(int ExitCode, string Stdout, string Stderr)
    {
        public List<JsonElement> Events => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    /// <summary>Runs the sample with the agency's URI in <c>HUB_AMQP_URI</c>, as its README says.</summary>
    private async Task<Run> RunSampleAsync(params string[] args)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python)) Assert.Fail($"{python} is missing: the sample runs on the system's Python with Debian's python3-pika (deploy/local/start-services.sh installs it)");
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Hub.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no Hub.sln above the test");
        var start = new ProcessStartInfo(python, [Path.Combine(root, "samples", "subscriber", "subscriber.py"), .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        start.Environment["HUB_AMQP_URI"] = _agency.ToString();
        start.Environment.Remove("HUB_QUEUE");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"subscriber.py {string.Join(' ', args)} still running after 60 s; stderr:\n{await stderr}");
        }
        var run = new Run(process.ExitCode, await stdout, await stderr);
        TestContext.Out.WriteLine(run);
        return run;
    }

    /// <summary>Once the sample's consumer is gone (its unacknowledged messages back in the queue), what is left.</summary>
    private async Task<uint> LeftInQueueAsync()
    {
        var ok = await Eventually.Get(async () =>
        {
            var q = await _hub.QueueDeclarePassiveAsync(Queue);
            return q.ConsumerCount == 0 ? q : null;
        }, "the sample's consumer to leave " + Queue, seconds: 10);
        return ok.MessageCount;
    }

    [Test, Order(1)]
    public async Task The_sample_prints_the_event_routed_to_the_agencys_queue_acknowledges_it_and_never_sees_another_list()
    {
        // published first: were it routed to the food bureau's queue, it would be the one event the sample prints
        var court = Listed(TestIdentifiers.Uscc(7101), origin: "COURT-34-1122", province: "34", listType: "judgment-defaulter");
        await PublishAsync(court, mustRoute: false);
        var food = Listed(TestIdentifiers.Uscc(7102));
        await PublishAsync(food);

        var run = await RunSampleAsync("--count", "1", "--timeout", "20", "--json");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var events = run.Events;
        Assert.That(events, Has.Count.EqualTo(1), run.ToString());
        var printed = events[0];
        Assert.Multiple(() =>
        {
            Assert.That(printed.GetProperty("eventId").GetString(), Is.EqualTo(food.EventId));
            Assert.That(printed.GetProperty("listingId").GetString(), Is.EqualTo(food.ListingId));
            Assert.That(printed.GetProperty("listType").GetString(), Is.EqualTo("food-safety-serious"));
            Assert.That(printed.GetProperty("displayName").GetString(), Is.EqualTo(food.DisplayName), "UTF-8 end to end");
            Assert.That(printed.GetProperty("validFrom").GetString(), Is.EqualTo("2026-05-10"));
            Assert.That(run.Stdout, Does.Not.Contain(court.EventId), "an event of a list the agency does not subscribe to");
        });
        Assert.That(await LeftInQueueAsync(), Is.Zero, "the event printed is acknowledged; the other never reached the queue");
    }

    [Test, Order(2)]
    public async Task A_repeat_is_dropped_by_eventId_and_an_unreadable_message_is_rejected_without_requeue()
    {
        var first = Listed(TestIdentifiers.Uscc(7103));
        var second = Listed(TestIdentifiers.Uscc(7104));
        await PublishAsync(first);
        await PublishAsync(KeyOf(first), Guid.NewGuid().ToString(), "{\"eventId\": "u8.ToArray());
        await PublishAsync(first);   // delivered at least once: the same event again
        await PublishAsync(second);

        var run = await RunSampleAsync("--count", "2", "--timeout", "20", "--json");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Events.Select(e => e.GetProperty("eventId").GetString()), Is.EqualTo(new[] { first.EventId, second.EventId }), run.ToString());
        Assert.That(run.Stderr, Does.Contain("REJECTED unreadable message"));
        Assert.That(await LeftInQueueAsync(), Is.Zero, "the repeat acknowledged, the unreadable message rejected without requeue");
    }

    [Test, Order(3)]
    public async Task With_nothing_to_consume_it_gives_up_after_the_timeout_with_status_1()
    {
        var run = await RunSampleAsync("--count", "1", "--timeout", "1", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Stdout, Is.Empty);
    }
}
