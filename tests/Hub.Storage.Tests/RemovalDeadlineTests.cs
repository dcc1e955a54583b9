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

/// <summary>A court's removal must take effect and be published within 3 working days: the Hub records when each was
/// received, its deadline (working-day calendar, China Standard Time) and when its SubjectDelisted went out.</summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class RemovalDeadlineTests<TTarget> where TTarget : IIndexTarget, new()
{
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    private TTarget _target = default!;
    private OutboxRelay _relay = default!;
    private FakeTimeProvider Time { get; set; } = default!;
    private IndexDatabase Db { get; set; } = default!;
    private RecordApplier ApplyStep { get; set; } = default!;

    [SetUp]
    public async Task SetUp()
    {
        // the year's holidays lie before the other fixtures' clock (Samples.Now): this one starts on 1 January 2026
        _target = new TTarget();
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Db = await _target.CreateAsync(Time);
        await Db.MigrateAsync(CancellationToken.None);
        var metrics = new AggregatorMetrics();
        ApplyStep = Applier(Db, Time, metrics);
        _relay = new OutboxRelay(Db, new Accepting(), new OutboxSignal(), Options.Create(new AggregatorOptions()), metrics, NullLogger<OutboxRelay>.Instance);
    }

    [TearDown]
    public async Task TearDown()
    {
        _relay.Dispose();
        await _target.DisposeAsync();
    }

    [Test]
    public async Task When_a_removal_is_received_on_a_Friday_Should_be_due_by_the_end_of_the_next_Wednesday()
    {
        var received = await ListThenRemoveAt(new DateTimeOffset(2026, 11, 27, 10, 0, 0, Beijing));

        var row = (await Db.RemovalDeadlinesAsync(false, 10, CancellationToken.None)).Single();
        Assert.That(row.ReceivedAt, Is.EqualTo(received));
        Assert.That(row.Deadline, Is.EqualTo(new DateTimeOffset(2026, 12, 3, 0, 0, 0, Beijing)), "Monday, Tuesday, Wednesday");
        Assert.That(row.PublishedAt, Is.Null);
        Assert.That((row.AgencyCode, row.SourceRecordId), Is.EqualTo((Court, "LA-1194-R")));
        var listing = (await Db.ListingsOfAsync((await Db.FindSubjectIdAsync("uscc", CompanyUscc, CancellationToken.None))!, CancellationToken.None)).Single();
        Assert.That(row.ListingId, Is.EqualTo(listing.Id), "the listing the court issued, not the one imputed to its representative");
    }

    [Test]
    public async Task When_a_public_holiday_falls_in_the_term_Should_move_the_deadline_further()
    {
        // Thursday before the Dragon Boat Festival (Friday 19 June to Sunday 21 June): Monday, Tuesday, Wednesday
        await ListThenRemoveAt(new DateTimeOffset(2026, 6, 18, 9, 0, 0, Beijing));

        var row = (await Db.RemovalDeadlinesAsync(false, 10, CancellationToken.None)).Single();
        Assert.That(row.Deadline, Is.EqualTo(new DateTimeOffset(2026, 6, 25, 0, 0, 0, Beijing)));
    }

    [Test]
    public async Task When_an_adjusted_working_Saturday_falls_in_the_term_Should_count_it()
    {
        // the day before National Day: 1–7 October are holidays, then Thursday 8, Friday 9 and Saturday 10 (a working day)
        await ListThenRemoveAt(new DateTimeOffset(2026, 9, 30, 15, 0, 0, Beijing));

        var row = (await Db.RemovalDeadlinesAsync(false, 10, CancellationToken.None)).Single();
        Assert.That(row.Deadline, Is.EqualTo(new DateTimeOffset(2026, 10, 11, 0, 0, 0, Beijing)));
    }

    [Test]
    public async Task When_a_removal_is_not_published_by_its_deadline_Should_be_reported_overdue()
    {
        await ListThenRemoveAt(new DateTimeOffset(2026, 11, 27, 10, 0, 0, Beijing));
        Time.SetUtcNow(new DateTimeOffset(2026, 12, 2, 23, 59, 0, Beijing).ToUniversalTime());
        Assert.That(await Db.RemovalDeadlinesAsync(true, 10, CancellationToken.None), Is.Empty, "not yet past its deadline");

        Time.SetUtcNow(new DateTimeOffset(2026, 12, 3, 0, 1, 0, Beijing).ToUniversalTime());
        var overdue = (await Db.RemovalDeadlinesAsync(true, 10, CancellationToken.None)).Single();
        Assert.That(overdue.PublishedAt, Is.Null);

        // published at last: still reported, as published late
        await _relay.PublishPendingAsync(1_000, CancellationToken.None);
        var late = (await Db.RemovalDeadlinesAsync(true, 10, CancellationToken.None)).Single();
        Assert.That(late.PublishedAt, Is.EqualTo(Time.GetUtcNow()));
    }

    [Test]
    public async Task When_a_removal_is_published_in_time_Should_not_be_overdue()
    {
        await ListThenRemoveAt(new DateTimeOffset(2026, 11, 27, 10, 0, 0, Beijing));
        Time.Advance(TimeSpan.FromSeconds(2));
        var publishedAt = Time.GetUtcNow();

        await _relay.PublishPendingAsync(1_000, CancellationToken.None);
        Time.SetUtcNow(new DateTimeOffset(2026, 12, 10, 0, 0, 0, Beijing).ToUniversalTime());

        Assert.That(await Db.RemovalDeadlinesAsync(true, 10, CancellationToken.None), Is.Empty);
        var row = (await Db.RemovalDeadlinesAsync(false, 10, CancellationToken.None)).Single();
        Assert.That(row.PublishedAt, Is.EqualTo(publishedAt), "marked by the relay when the listing's SubjectDelisted went out");
    }

    [Test]
    public async Task When_a_removal_was_held_for_its_listing_Should_count_from_when_it_was_received()
    {
        var friday = new DateTimeOffset(2026, 11, 27, 10, 0, 0, Beijing);
        Time.SetUtcNow(friday.ToUniversalTime());
        await ApplyStep.ApplyAsync([In(Removed())], CancellationToken.None);      // held: no listing yet
        Time.SetUtcNow(new DateTimeOffset(2026, 11, 30, 9, 0, 0, Beijing).ToUniversalTime());      // Monday: the listing comes, the removal applies
        await ApplyStep.ApplyAsync([In(Listed())], CancellationToken.None);

        var row = (await Db.RemovalDeadlinesAsync(false, 10, CancellationToken.None)).Single();
        Assert.That(row.ReceivedAt, Is.EqualTo(friday));
        Assert.That(row.Deadline, Is.EqualTo(new DateTimeOffset(2026, 12, 3, 0, 0, 0, Beijing)));
    }

    [Test]
    public async Task When_a_listing_is_superseded_Should_start_no_removal_clock()
    {
        Time.SetUtcNow(new DateTimeOffset(2026, 11, 27, 10, 0, 0, Beijing).ToUniversalTime());
        await ApplyStep.ApplyAsync([In(Listed())], CancellationToken.None);
        await ApplyStep.ApplyAsync([In(Listed(revision: 2))], CancellationToken.None);
        await _relay.PublishPendingAsync(1_000, CancellationToken.None);

        Assert.That(await Db.RemovalDeadlinesAsync(false, 10, CancellationToken.None), Is.Empty);
    }

    private async Task<DateTimeOffset> ListThenRemoveAt(DateTimeOffset at)
    {
        Time.SetUtcNow(at.AddHours(-1).ToUniversalTime());
        await ApplyStep.ApplyAsync([In(Listed())], CancellationToken.None);
        await _relay.PublishPendingAsync(1_000, CancellationToken.None);           // the listing's events are out before
        Time.SetUtcNow(at.ToUniversalTime());
        await ApplyStep.ApplyAsync([In(Removed())], CancellationToken.None);
        return at;
    }

    private sealed class Accepting : IEventPublisher
    {
        public Task PublishAsync(object message, Type messageType, CancellationToken ct) => Task.CompletedTask;
    }
}
