using System.Text.Json;
using Hub.Adapters.Court;
using Hub.Adapters.Publishing;
using Hub.Contracts;
using Hub.Domain.Catalogue;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace Hub.Adapters.Tests;

/// <summary>The adapter's side of a broker outage: the real <c>broker-publish</c> pipeline around a publish that fails.
/// (That a completed publish means a broker confirm is MassTransit's on RabbitMQ, exercised by the integration tests.)</summary>
public sealed class PublishingTests
{
    private static readonly PublishingOptions Fast = new()
    {
        MaxRetryAttempts = 4, FirstRetryDelay = TimeSpan.FromMilliseconds(1), AttemptTimeout = TimeSpan.FromSeconds(5),
    };

    private sealed class FlakyBroker(int failures)
    {
        public int Attempts;
        public readonly List<object> Confirmed = [];
        public readonly List<string> Agencies = [];

        public Task Publish(object message, string agencyCode, CancellationToken ct)
        {
            if (++Attempts <= failures) throw new InvalidOperationException($"broker unreachable (attempt {Attempts})");
            Confirmed.Add(message);
            Agencies.Add(agencyCode);
            return Task.CompletedTask;
        }
    }

    private static HubPublisher Publisher(FlakyBroker broker) =>
        new(broker.Publish, PublishingRegistration.Configure(new ResiliencePipelineBuilder(), Fast).Build());

    private static CourtAdapter Adapter(FlakyBroker broker) =>
        new(new CourtNoticeMapper(new FakeTimeProvider()), Publisher(broker), AgencyRegistry.Embedded(), NullLogger<CourtAdapter>.Instance);

    private static BodyItem Notice() => new(0, JsonDocument.Parse("""
        { "id": "N-1", "iname": "某公司", "caseCode": "(2026)皖1122执1号", "cardNum": "9134112215678901XC",
          "courtName": "来安县人民法院", "disruptTypeName": "违反财产报告制度", "regDate": "20260611", "type": "1" }
        """).RootElement, null);

    [Test]
    public async Task A_short_outage_is_ridden_out_and_the_notice_is_accepted_once_the_broker_takes_it()
    {
        var broker = new FlakyBroker(failures: 3);

        var result = (await Adapter(broker).SubmitListingsAsync("COURT-34-1122", [Notice()], CancellationToken.None)).Single();

        Assert.That(result.Status, Is.EqualTo("accepted"));
        Assert.That(broker.Attempts, Is.EqualTo(4));
        Assert.That(broker.Confirmed.Single(), Is.TypeOf<JudgmentDefaulterListed>());
        Assert.That(broker.Agencies.Single(), Is.EqualTo("COURT-34-1122"), "published for the court of the route");
    }

    [Test]
    public async Task A_broker_that_stays_away_gets_the_notice_answered_failed_never_accepted()
    {
        var broker = new FlakyBroker(failures: int.MaxValue);

        var result = (await Adapter(broker).SubmitListingsAsync("COURT-34-1122", [Notice()], CancellationToken.None)).Single();

        Assert.That(result.Status, Is.EqualTo("failed"));
        Assert.That(result.Reason, Does.Contain("send it again"));
        Assert.That(broker.Attempts, Is.EqualTo(1 + Fast.MaxRetryAttempts));
        Assert.That(broker.Confirmed, Is.Empty);
    }

    [Test]
    public void Cancellation_is_not_retried()
    {
        var broker = new FlakyBroker(failures: 0);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.That(async () => await Publisher(broker).PublishAsync(new object(), "COURT-34-1122", cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(broker.Attempts, Is.Zero);
    }
}
