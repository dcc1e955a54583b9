using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Aggregator.Retention;
using Hub.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>Retention on each dialect: the inbox and the relayed outbox are pruned after their windows, in small batches;
/// idempotency holds inside the window, and nothing pending or kept for good is touched.</summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class RetentionTests<TTarget> where TTarget : IIndexTarget, new()
{
    private TTarget _target = default!;
    private FakeTimeProvider _time = default!;
    private IndexDatabase _db = default!;
    private RecordApplier _applier = default!;
    private RetentionService _retention = default!;

    [SetUp]
    public async Task SetUp()
    {
        _target = new TTarget();
        _time = new FakeTimeProvider(Now);
        _db = await _target.CreateAsync(_time);
        await _db.MigrateAsync(CancellationToken.None);
        _applier = Applier(_db, _time, new AggregatorMetrics());
        // a batch of 2, so that a prune takes several statements
        _retention = new RetentionService(_db, _time, Options.Create(new RetentionOptions { BatchSize = 2 }), NullLogger<RetentionService>.Instance);
    }

    [TearDown]
    public async Task TearDown()
    {
        _retention.Dispose();
        await _target.DisposeAsync();
    }

    [Test]
    public async Task Inbox_ids_are_kept_for_their_window_so_a_redelivery_inside_it_is_still_dropped()
    {
        var old = Enumerable.Range(0, 5).Select(i => In(Listed(sourceId: $"OLD-{i}", uscc: TestIdentifiers.Uscc(7000 + i)))).ToList();
        await _applier.ApplyAsync(old, CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(20));
        var recent = In(Listed(sourceId: "RECENT", uscc: TestIdentifiers.Uscc(7100)));
        await _applier.ApplyAsync([recent], CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(11)); // the old ones are 31 days old, the recent one 11

        var (inbox, outbox) = await _retention.PruneOnceAsync(CancellationToken.None);
        Assert.That(inbox, Is.EqualTo(5), "the five old ids, two a statement");

        await using (var session = await _db.BeginAsync(CancellationToken.None))
        {
            var seen = await session.SeenMessagesAsync([recent.MessageId!, .. old.Select(o => o.MessageId!)], CancellationToken.None);
            Assert.That(seen, Is.EquivalentTo(new[] { recent.MessageId }), "the recent id is kept, the old ones are gone");
        }
        var redelivered = await _applier.ApplyAsync([recent], CancellationToken.None);
        Assert.That(redelivered, Is.EqualTo(new BatchOutcome(0, 1, 0)), "inside the window the inbox still drops the redelivery");
        var resent = await _applier.ApplyAsync([old[0]], CancellationToken.None);
        Assert.That(resent, Is.EqualTo(new BatchOutcome(0, 1, 0)), "past it, the ledger key still catches the same record");
        Assert.That(await _db.CountListingsAsync(CancellationToken.None), Is.EqualTo(6));
    }

    [Test]
    public async Task Published_events_are_pruned_after_their_window_and_pending_ones_never()
    {
        await _applier.ApplyAsync([In(Listed(sourceId: "A", uscc: TestIdentifiers.Uscc(7200)))], CancellationToken.None);
        var first = await _db.PendingOutboxAsync(100, CancellationToken.None);
        await _db.MarkPublishedAsync(first.Select(r => r.Id).ToList(), CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(8));
        await _applier.ApplyAsync([In(Listed(sourceId: "B", uscc: TestIdentifiers.Uscc(7201)))], CancellationToken.None);
        var second = await _db.PendingOutboxAsync(100, CancellationToken.None);
        await _db.MarkPublishedAsync(second.Take(1).Select(r => r.Id).ToList(), CancellationToken.None);

        var (_, outbox) = await _retention.PruneOnceAsync(CancellationToken.None);

        Assert.That(outbox, Is.EqualTo(first.Count), "the events published 8 days ago");
        Assert.That((await _db.PendingOutboxAsync(100, CancellationToken.None)).Select(r => r.Id), Is.EqualTo(second.Skip(1).Select(r => r.Id)),
            "pending events stay, whatever their age");
    }
}
