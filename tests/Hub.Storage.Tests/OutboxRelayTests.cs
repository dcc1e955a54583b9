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

    [Test]
    public async Task Events_of_a_type_this_build_does_not_know_wait_with_their_lane_and_do_not_stall_the_rest()
    {
        // a newer build wrote 600 events of a type this one does not know (more than one read of the relay), then one
        // more and a known event behind it in the same lane, before it was rolled back
        await _target.ExecuteAsync(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
            INSERT INTO outbox (message_type, payload, created_at, ordering_key)
            SELECT 'SubjectsRenumbered', '{}', '2026-11-26T08:00:00.0000000+00:00', 'merged-' || i FROM n;
            INSERT INTO outbox (message_type, payload, created_at, ordering_key) VALUES
                ('SubjectsRenumbered', '{}', '2026-11-26T08:00:00.0000000+00:00', 'K'),
                ('SubjectDelisted', '{}', '2026-11-26T08:00:00.0000000+00:00', 'K');
            """,
            """
            INSERT INTO outbox (message_type, payload, created_at, ordering_key)
            SELECT 'SubjectsRenumbered', '{}', now(), 'merged-' || i FROM generate_series(1, 600) i;
            INSERT INTO outbox (message_type, payload, created_at, ordering_key) VALUES
                ('SubjectsRenumbered', '{}', now(), 'K'), ('SubjectDelisted', '{}', now(), 'K');
            """);
        await _applier.ApplyAsync([In(Listed())], CancellationToken.None);

        Assert.That(await _relay.PublishPendingAsync(500, CancellationToken.None), Is.EqualTo(2));

        Assert.That(_published.Events.Select(e => e.Type), Is.EqualTo(new[] { nameof(SubjectListed), nameof(SubjectListed) }),
            "the company and its representative, behind 601 events the relay cannot publish");
        var pending = await _db.PendingOutboxAsync(1_000, CancellationToken.None);
        Assert.That(pending, Has.Count.EqualTo(602));
        Assert.That(pending.Where(p => p.OrderingKey == "K").Select(p => p.MessageType), Is.EqualTo(new[] { "SubjectsRenumbered", nameof(SubjectDelisted) }),
            "the known event behind an unknown one in its lane waits, in order");
        Assert.That(await _relay.PublishPendingAsync(500, CancellationToken.None), Is.Zero, "nothing more to do, and no loop");
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
