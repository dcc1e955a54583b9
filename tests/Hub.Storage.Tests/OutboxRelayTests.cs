using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Aggregator.Outbox;
using Hub.Contracts;
using Hub.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>The outbox relay against each dialect, with a publisher that records what it is given and can refuse.</summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class OutboxRelayTests<TTarget> where TTarget : IIndexTarget, new()
{
    private TTarget _target = default!;
    private IndexDatabase _db = default!;
    private RecordApplier _applier = default!;
    private Recorder _published = default!;
    private OutboxRelay _relay = default!;

    [SetUp]
    public async Task SetUp()
    {
        _target = new TTarget();
        var time = new FakeTimeProvider(Now);
        _db = await _target.CreateAsync(time);
        await _db.MigrateAsync(CancellationToken.None);
        var metrics = new AggregatorMetrics();
        _applier = Applier(_db, time, metrics);
        _published = new Recorder();
        _relay = new OutboxRelay(_db, _published, new OutboxSignal(), Options.Create(new AggregatorOptions { OutboxPublishConcurrency = 8 }),
            metrics, NullLogger<OutboxRelay>.Instance);
    }

    [TearDown]
    public async Task TearDown()
    {
        _relay.Dispose();
        await _target.DisposeAsync();
    }

    [Test]
    public async Task Events_about_one_subject_go_out_in_order_and_a_refused_one_holds_back_only_its_subject()
    {
        // ten companies listed then removed: per subject (company and representative) SubjectListed, then SubjectDelisted
        var companies = Enumerable.Range(1, 10).Select(i => (Uscc: TestIdentifiers.Uscc(i), Source: $"LA-{i}")).ToList();
        await _applier.ApplyAsync(companies.Select(c => In(Listed(sourceId: c.Source, uscc: c.Uscc, repRic: null, repName: "法人" + c.Source))).ToList(), CancellationToken.None);
        await _applier.ApplyAsync(companies.Select(c => In(Removed(listingSourceId: c.Source, sourceId: c.Source + "-R"))).ToList(), CancellationToken.None);
        var refused = (await _db.FindSubjectIdAsync("uscc", companies[3].Uscc, CancellationToken.None))!;
        _published.Refuse = refused;

        var failure = Assert.ThrowsAsync<InvalidOperationException>(() => _relay.PublishPendingAsync(1_000, CancellationToken.None));

        Assert.That(failure!.Message, Does.Contain("1 outbound event(s) could not be published"));
        var bySubject = _published.Events.GroupBy(e => e.Subject).ToDictionary(g => g.Key, g => g.Select(e => e.Type).ToList());
        Assert.That(bySubject, Has.Count.EqualTo(19), "every subject but the refused one");
        Assert.That(bySubject.Values, Has.All.EqualTo(new[] { nameof(SubjectListed), nameof(SubjectDelisted) }));
        var pending = await _db.PendingOutboxAsync(100, CancellationToken.None);
        Assert.That(pending.Select(p => (p.MessageType, p.OrderingKey)), Is.EqualTo(new[] { (nameof(SubjectListed), refused), (nameof(SubjectDelisted), refused) }),
            "the refused event and the one after it about the same subject stay pending, in order");

        _published.Refuse = null;
        Assert.That(await _relay.PublishPendingAsync(1_000, CancellationToken.None), Is.EqualTo(2));
        Assert.That(_published.Events.Where(e => e.Subject == refused).Select(e => e.Type), Is.EqualTo(new[] { nameof(SubjectListed), nameof(SubjectDelisted) }));
        Assert.That(await _db.PendingOutboxAsync(100, CancellationToken.None), Is.Empty);
    }

    private sealed class Recorder : IEventPublisher
    {
        private readonly List<(string Type, string Subject)> _events = [];
        public string? Refuse { get; set; }
        public IReadOnlyList<(string Type, string Subject)> Events { get { lock (_events) return [.. _events]; } }

        public async Task PublishAsync(object message, Type messageType, CancellationToken ct)
        {
            await Task.Delay(Random.Shared.Next(0, 3), ct); // let lanes interleave
            var subject = message switch { SubjectListed l => l.HubSubjectId, SubjectDelisted d => d.HubSubjectId, _ => "?" };
            if (subject == Refuse) throw new InvalidOperationException("broker refused");
            lock (_events) _events.Add((messageType.Name, subject));
        }
    }
}
