using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>The one sequence the four consumers hand their messages to: records of every kind in one batch, in the
/// order they came; each message completes when its batch commits, and fails when it fails.</summary>
public sealed class RecordSequencerTests
{
    private SqliteTarget _target = default!;
    private IndexDatabase _db = default!;
    private RecordSequencer _sequencer = default!;

    [SetUp]
    public async Task SetUp()
    {
        _target = new SqliteTarget();
        var time = new FakeTimeProvider(Now);
        _db = await _target.CreateAsync(time);
        await _db.MigrateAsync(CancellationToken.None);
        // two records make a batch; the fake clock never closes the window on its own
        var options = Options.Create(new AggregatorOptions { BatchSize = 2, BatchTimeLimit = TimeSpan.FromMinutes(1) });
        _sequencer = new RecordSequencer(Applier(_db, time, new AggregatorMetrics()), new IndexAvailability(_db, time, NullLogger<IndexAvailability>.Instance), time,
            options, NullLogger<RecordSequencer>.Instance);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _sequencer.DisposeAsync();
        await _target.DisposeAsync();
    }

    [Test]
    public async Task A_removal_and_its_listing_from_two_consumers_apply_in_one_batch_in_their_order()
    {
        var removal = _sequencer.SubmitAsync(In(Removed()), CancellationToken.None);
        Assert.That(removal.IsCompleted, Is.False, "acknowledged only once its batch has committed");
        var listing = _sequencer.SubmitAsync(In(Listed()), CancellationToken.None);

        await Task.WhenAll(removal, listing).WaitAsync(TimeSpan.FromSeconds(30));

        var company = await _db.FindSubjectIdAsync("uscc", CompanyUscc, CancellationToken.None);
        Assert.That((await _db.ListingsOfAsync(company!, CancellationToken.None)).Single().Status, Is.EqualTo("removed"));
        var audited = (await _db.AuditLatestAsync(10, CancellationToken.None)).Where(a => a.Action == "record.apply").Reverse().Select(a => a.Outcome);
        Assert.That(audited, Is.EqualTo(new[] { "applied", "applied" }), "one batch: the removal waited for the listing within it, never held");
    }

    [Test]
    public async Task When_a_batch_fails_every_message_in_it_fails()
    {
        await _target.ExecuteAsync("CREATE TRIGGER refuse BEFORE INSERT ON listings BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;", "");

        var first = _sequencer.SubmitAsync(In(Listed(sourceId: "F-1", uscc: TestIdentifiers.Uscc(1))), CancellationToken.None);
        var second = _sequencer.SubmitAsync(In(Listed(sourceId: "F-2", uscc: TestIdentifiers.Uscc(2))), CancellationToken.None);

        Assert.That(async () => await first.WaitAsync(TimeSpan.FromSeconds(30)), Throws.InstanceOf<System.Data.Common.DbException>());
        Assert.That(async () => await second.WaitAsync(TimeSpan.FromSeconds(30)), Throws.InstanceOf<System.Data.Common.DbException>());
        Assert.That(await _db.QuarantineAsync(null, 10, CancellationToken.None), Is.Empty, "to the bus's retries, not blamed on the records");
    }
}
