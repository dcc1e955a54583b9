using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Aggregator.Consumers;
using Hub.Contracts;
using Hub.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>
/// The bulk path at the storage level, per dialect: the records of one batch message, handed to the sequencer as its
/// consumer hands them, end exactly as the same records sent one message each — the same applied, duplicate and
/// quarantined outcomes (an invalid identifier, a duplicate, a stale revision), the same quarantine and the same
/// outbound events — also when the batch spans several of the applier's batches and when it is delivered again after
/// part of it was applied.
/// </summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class RecordBatchTests<TTarget> where TTarget : IIndexTarget, new()
{
    private readonly List<IIndexTarget> _targets = [];

    [TearDown]
    public async Task DropIndexes()
    {
        foreach (var t in _targets) await t.DisposeAsync();
        _targets.Clear();
    }

    /// <summary>A valid listing, an invalid identifier, a duplicate of the first, a stale revision of it, another valid one.</summary>
    private static JudgmentDefaulterListed[] Records() =>
    [
        Listed(sourceId: "B-1", revision: 2, uscc: TestIdentifiers.Uscc(1), repRic: null),
        Listed(sourceId: "B-2", uscc: "9134112215678901XD", repRic: null),
        Listed(sourceId: "B-1", revision: 2, uscc: TestIdentifiers.Uscc(1), repRic: null),
        Listed(sourceId: "B-1", revision: 1, uscc: TestIdentifiers.Uscc(1), repRic: null),
        Listed(sourceId: "B-3", uscc: TestIdentifiers.Uscc(3), repRic: null),
    ];

    private async Task<(IndexDatabase Db, RecordApplier Applier, RecordSequencer Sequencer)> IndexAsync()
    {
        var target = new TTarget();
        _targets.Add(target);
        var time = new FakeTimeProvider(Now);
        var db = await target.CreateAsync(time);
        await db.MigrateAsync(CancellationToken.None);
        var applier = Applier(db, time, new AggregatorMetrics());
        // two records per transaction, so that the five of the batch span three; the window closes on the real clock
        var options = Options.Create(new AggregatorOptions { BatchSize = 2, BatchTimeLimit = TimeSpan.FromMilliseconds(50) });
        var sequencer = new RecordSequencer(applier, new IndexAvailability(db, time, NullLogger<IndexAvailability>.Instance), TimeProvider.System,
            options, NullLogger<RecordSequencer>.Instance);
        return (db, applier, sequencer);
    }

    /// <summary>What the index did with the records: every apply outcome with its record (not its message id), the
    /// quarantine, and the outbound events by type and key.</summary>
    private static async Task<string[]> OutcomeAsync(IndexDatabase db)
    {
        var applied = (await db.AuditLatestAsync(100, CancellationToken.None)).Where(a => a.Action == "record.apply").Reverse()
            .Select(a => $"{a.Detail![..a.Detail!.IndexOf(", message", StringComparison.Ordinal)]}: {a.Outcome}")
            .Order(StringComparer.Ordinal);   // one transaction audits its refusals before what it writes: the set, not the order
        var quarantine = (await db.QuarantineAsync(null, 100, CancellationToken.None)).OrderBy(q => q.SourceRecordId).ThenBy(q => q.Revision)
            .Select(q => $"quarantine {q.AgencyCode}/{q.SourceRecordId} revision {q.Revision} {q.ReasonCode}");
        var events = (await db.PendingOutboxAsync(100, CancellationToken.None)).GroupBy(e => e.MessageType).OrderBy(g => g.Key)
            .Select(g => $"events {g.Key} × {g.Count()}");
        return [.. applied, .. quarantine, .. events];
    }

    private static async Task<string[]> SinglesAsync((IndexDatabase Db, RecordApplier Applier, RecordSequencer Sequencer) index)
    {
        // each record in a message of its own, each applied in a batch of its own: the single-message path at its slowest
        foreach (var record in Records())
            await index.Applier.ApplyAsync([In(record)], CancellationToken.None);
        return await OutcomeAsync(index.Db);
    }

    [Test]
    public async Task A_batch_with_an_invalid_record_a_duplicate_and_a_stale_revision_is_applied_record_by_record_like_single_messages()
    {
        var singles = await IndexAsync();
        await using var __ = singles.Sequencer;
        var expected = await SinglesAsync(singles);

        var bulk = await IndexAsync();
        await using var _ = bulk.Sequencer;
        var items = RecordBatch.Items(Guid.NewGuid().ToString("N"), Records(), Court, "court-34-1122");
        await bulk.Sequencer.SubmitManyAsync(items, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        var actual = await OutcomeAsync(bulk.Db);
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(actual.Where(a => !a.StartsWith("events", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "JudgmentDefaulterListed COURT-34-1122/B-1 revision 1: quarantined:stale-revision",
            "JudgmentDefaulterListed COURT-34-1122/B-1 revision 2: applied",
            "JudgmentDefaulterListed COURT-34-1122/B-1 revision 2: duplicate",
            "JudgmentDefaulterListed COURT-34-1122/B-2 revision 1: quarantined:invalid-identifier",
            "JudgmentDefaulterListed COURT-34-1122/B-3 revision 1: applied",
            "quarantine COURT-34-1122/B-1 revision 1 stale-revision",
            "quarantine COURT-34-1122/B-2 revision 1 invalid-identifier",
        }));
    }

    [Test]
    public async Task A_batch_delivered_again_after_part_of_it_was_applied_applies_the_rest_and_nothing_twice()
    {
        var singles = await IndexAsync();
        await using var __ = singles.Sequencer;
        var expected = await SinglesAsync(singles);

        var bulk = await IndexAsync();
        await using var _ = bulk.Sequencer;
        var items = RecordBatch.Items(Guid.NewGuid().ToString("N"), Records(), Court, "court-34-1122");
        // the first delivery got as far as the first two records' transaction, then the Hub stopped before the ack
        await bulk.Applier.ApplyAsync(items.Take(2).ToList(), CancellationToken.None);
        await bulk.Sequencer.SubmitManyAsync(items, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        // and once more whole, as a redelivery after the ack was lost
        await bulk.Sequencer.SubmitManyAsync(items, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(await OutcomeAsync(bulk.Db), Is.EqualTo(expected),
            "the redelivered records are dropped by their message ids before anything is audited, so the outcome is the single messages' own");
        Assert.That(await bulk.Db.CountListingsAsync(CancellationToken.None), Is.EqualTo(2));
    }
}
