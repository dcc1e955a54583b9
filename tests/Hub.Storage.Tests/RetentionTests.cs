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
public sealed class RetentionTests<TTarget> : IndexFixture<TTarget> where TTarget : IIndexTarget, new()
{
    private RetentionService _retention = default!;

    // a batch of 2, so that a prune takes several statements
    [SetUp]
    public void SetUp() =>
        _retention = new RetentionService(Db, Time, Options.Create(new RetentionOptions { BatchSize = 2 }), NullLogger<RetentionService>.Instance);

    [TearDown]
    public void TearDown() => _retention.Dispose();

    [Test]
    public async Task Inbox_ids_are_kept_for_their_window_so_a_redelivery_inside_it_is_still_dropped()
    {
        var old = Enumerable.Range(0, 5).Select(i => In(Listed(sourceId: $"OLD-{i}", uscc: TestIdentifiers.Uscc(7000 + i)))).ToList();
        await ApplyStep.ApplyAsync(old, CancellationToken.None);
        Time.Advance(TimeSpan.FromDays(20));
        var recent = In(Listed(sourceId: "RECENT", uscc: TestIdentifiers.Uscc(7100)));
        await ApplyStep.ApplyAsync([recent], CancellationToken.None);
        Time.Advance(TimeSpan.FromDays(11)); // the old ones are 31 days old, the recent one 11

        var (inbox, outbox) = await _retention.PruneOnceAsync(CancellationToken.None);
        Assert.That(inbox, Is.EqualTo(5), "the five old ids, two a statement");

        await using (var session = await Db.BeginAsync(CancellationToken.None))
        {
            var seen = await session.SeenMessagesAsync([recent.MessageId!, .. old.Select(o => o.MessageId!)], CancellationToken.None);
            Assert.That(seen, Is.EquivalentTo(new[] { recent.MessageId }), "the recent id is kept, the old ones are gone");
        }
        var redelivered = await ApplyStep.ApplyAsync([recent], CancellationToken.None);
        Assert.That(redelivered, Is.EqualTo(new BatchOutcome(0, 1, 0)), "inside the window the inbox still drops the redelivery");
        var resent = await ApplyStep.ApplyAsync([old[0]], CancellationToken.None);
        Assert.That(resent, Is.EqualTo(new BatchOutcome(0, 1, 0)), "past it, the ledger key still catches the same record");
        Assert.That(await Db.CountListingsAsync(CancellationToken.None), Is.EqualTo(6));
    }

    [Test]
    public async Task Published_events_are_pruned_after_their_window_and_pending_ones_never()
    {
        await ApplyStep.ApplyAsync([In(Listed(sourceId: "A", uscc: TestIdentifiers.Uscc(7200)))], CancellationToken.None);
        var first = await Db.PendingOutboxAsync(100, CancellationToken.None);
        await Db.MarkPublishedAsync(first.Select(r => r.Id).ToList(), CancellationToken.None);
        Time.Advance(TimeSpan.FromDays(8));
        await ApplyStep.ApplyAsync([In(Listed(sourceId: "B", uscc: TestIdentifiers.Uscc(7201)))], CancellationToken.None);
        var second = await Db.PendingOutboxAsync(100, CancellationToken.None);
        await Db.MarkPublishedAsync(second.Take(1).Select(r => r.Id).ToList(), CancellationToken.None);

        var (_, outbox) = await _retention.PruneOnceAsync(CancellationToken.None);

        Assert.That(outbox, Is.EqualTo(first.Count), "the events published 8 days ago");
        Assert.That((await Db.PendingOutboxAsync(100, CancellationToken.None)).Select(r => r.Id), Is.EqualTo(second.Skip(1).Select(r => r.Id)),
            "pending events stay, whatever their age");
    }
}
