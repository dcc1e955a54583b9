using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Aggregator.Outbox;
using Hub.Aggregator.Quality;
using Hub.Contracts;
using Hub.Domain.Catalogue;
using Hub.Domain.Intake;
using Hub.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>The console's data-quality figures, critical times and silent agencies, from records the aggregator judged
/// on each dialect, on the fake clock.</summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class DataQualityTests<TTarget> : IndexFixture<TTarget> where TTarget : IIndexTarget, new()
{
    private readonly DataQualityOptions _options = new() { RhythmCacheFor = TimeSpan.Zero };

    private DataQuality Quality => new(Db, AgencyRegistry.Embedded(), Options.Create(_options), Time);

    /// <summary>The day of <see cref="Samples.Now"/> (26 November 2026, 16:00 in China).</summary>
    private static QualityPeriod Day(int offset = 0) => QualityPeriod.Of("day", new DateOnly(2026, 11, 26).AddDays(offset))!;

    private Task<BatchOutcome> Apply(params Incoming[] batch) => ApplyStep.ApplyAsync(batch, CancellationToken.None);

    private static Incoming[] Penalties(string prefix, int count, DateOnly? decided = null) =>
        Enumerable.Range(1, count).Select(i => In(Penalty(sourceId: $"{prefix}-{i}", decided: decided))).ToArray();

    [Test]
    public void Periods_are_days_iso_weeks_and_months_in_China_Standard_Time()
    {
        var day = Day();
        Assert.That((day.From, day.To, day.PreviousFrom), Is.EqualTo((new DateTimeOffset(2026, 11, 25, 16, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 11, 26, 16, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 24, 16, 0, 0, TimeSpan.Zero))));
        var week = QualityPeriod.Of("week", new DateOnly(2026, 11, 26))!; // a Thursday
        Assert.That((week.FirstDay, week.LastDay), Is.EqualTo((new DateOnly(2026, 11, 23), new DateOnly(2026, 11, 29))));
        var month = QualityPeriod.Of("month", new DateOnly(2026, 3, 31))!;
        Assert.That((month.FirstDay, month.LastDay, month.PreviousFrom), Is.EqualTo((new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31),
            new DateTimeOffset(2026, 1, 31, 16, 0, 0, TimeSpan.Zero))));
        Assert.That(QualityPeriod.Of("year", new DateOnly(2026, 1, 1)), Is.Null);
    }

    [Test]
    public async Task Figures_count_received_accepted_duplicates_rejected_subjects_and_listings_per_agency()
    {
        await Apply(Penalties("F", 3));
        await Apply(Penalties("F", 2));                                                  // sent again: duplicates
        await Apply(In(Listed(sourceId: "LA-1")), In(Listed(sourceId: "LA-2", basis: "JD-99")), In(Listed(sourceId: "LA-3", basis: "JD-98")));
        Time.Advance(TimeSpan.FromDays(1));
        await Apply(Penalties("G", 4));                                                  // the next day: not in this period

        var report = await Quality.ReportAsync(Day(), CancellationToken.None);

        var food = report.Agencies.Single(a => a.AgencyCode == FoodBureau);
        var court = report.Agencies.Single(a => a.AgencyCode == Court);
        Assert.Multiple(() =>
        {
            Assert.That((food.Received, food.Accepted, food.Duplicates, food.Rejected, food.Subjects, food.EffectiveListings),
                Is.EqualTo((5L, 3L, 2L, 0L, 1L, 3L)), "one company, three penalties, each an issued listing (the imputed ones do not count)");
            Assert.That(food.Province, Is.EqualTo("35"));
            Assert.That((court.Received, court.Accepted, court.Rejected, court.EffectiveListings), Is.EqualTo((3L, 1L, 2L, 1L)));
            Assert.That(court.RejectedByReason, Is.EqualTo(new Dictionary<string, long> { [Rejection.UnknownBasis] = 2 }));
            Assert.That(report.Agencies.Sum(a => a.Received), Is.EqualTo(8), "the next day's records are not in the period");
        });
        var next = await Quality.ReportAsync(Day(1), CancellationToken.None);
        Assert.That(next.Agencies.Single().PreviousReceived, Is.EqualTo(5), "the period before is counted for the growth flag");
    }

    [Test]
    public async Task A_removal_that_waited_for_its_listing_is_counted_once()
    {
        await Apply(In(Removed()));                                   // before its listing: held
        await Apply(In(Listed()));                                    // the listing comes: the removal is applied after it
        var court = (await Quality.ReportAsync(Day(), CancellationToken.None)).Agencies.Single();
        Assert.That((court.Received, court.Accepted, court.EffectiveListings), Is.EqualTo((2L, 2L, 1L)));
    }

    [Test]
    public async Task Decision_to_arrival_counts_from_the_start_of_the_decision_date_in_China()
    {
        var decided = new DateOnly(2026, 11, 20);      // 19 Nov 16:00 UTC: 6 days 16 hours before Now
        var sent = Now - TimeSpan.FromHours(2);
        await Apply(new Incoming("m-1", Penalty(sourceId: "P-1", decided: decided), FoodBureau, SentAt: sent),
            new Incoming("m-2", Penalty(sourceId: "P-2", decided: decided.AddDays(-10)), FoodBureau, SentAt: sent));

        var food = (await Quality.ReportAsync(Day(), CancellationToken.None)).Agencies.Single();
        var start = new DateTimeOffset(2026, 11, 19, 16, 0, 0, TimeSpan.Zero);
        Assert.That(food.DecisionToArrivalP50Seconds, Is.EqualTo((sent - start).TotalSeconds).Within(1), "nearest rank: the lower of two");
        Assert.That(food.DecisionToArrivalP95Seconds, Is.EqualTo((sent - start).TotalSeconds + 10 * 86400).Within(1));
    }

    [Test]
    public async Task One_agency_sending_most_of_a_province_with_several_agencies_is_flagged_for_concentration()
    {
        _options.ConcentrationMinRecords = 10;
        await Apply(Penalties("F", 12));                              // FOOD-35: province 35 has three agencies, only it sends
        await Apply(Enumerable.Range(1, 12).Select(i => In(Listed(sourceId: $"LA-{i}"))).ToArray()); // COURT-34-1122: alone in 34

        var report = await Quality.ReportAsync(Day(), CancellationToken.None);
        var food = report.Agencies.Single(a => a.AgencyCode == FoodBureau);
        var court = report.Agencies.Single(a => a.AgencyCode == Court);
        Assert.Multiple(() =>
        {
            Assert.That((food.RegionShare, food.Concentration), Is.EqualTo(((double?)1.0, true)));
            Assert.That((court.RegionShare, court.Concentration), Is.EqualTo(((double?)1.0, false)), "the only agency its province has");
        });

        _options.ConcentrationShare = 1.0;
        Assert.That((await Quality.ReportAsync(Day(), CancellationToken.None)).Agencies.Single(a => a.AgencyCode == FoodBureau).Concentration,
            Is.False, "the share is configurable: more than all is never");
    }

    [Test]
    public async Task Volume_that_grows_while_effective_listings_do_not_is_flagged()
    {
        await Apply(Penalties("F", 10));                              // yesterday: 10 records, 10 listings
        Time.Advance(TimeSpan.FromDays(1));
        await Apply(Penalties("F", 10));                              // today: the same 10 again …
        await Apply(Penalties("F", 12));                              // … and again, with two new ones
        var inflated = (await Quality.ReportAsync(Day(1), CancellationToken.None)).Agencies.Single();
        Assert.That((inflated.Received, inflated.PreviousReceived, inflated.EffectiveListings, inflated.PreviousListings, inflated.Duplicates),
            Is.EqualTo((22L, 10L, 2L, 10L, 20L)));
        Assert.That(inflated.VolumeWithoutEffect, Is.True);

        Time.Advance(TimeSpan.FromDays(1));
        await Apply(Penalties("H", 45));                              // the day after: more than twice, all of it new
        var grown = (await Quality.ReportAsync(Day(2), CancellationToken.None)).Agencies.Single();
        Assert.That((grown.Received, grown.EffectiveListings, grown.VolumeWithoutEffect), Is.EqualTo((45L, 45L, false)));
    }

    [Test]
    public async Task Critical_time_runs_from_decision_to_applied_and_from_applied_to_relayed()
    {
        var decided = new DateOnly(2026, 11, 25);      // 24 Nov 16:00 UTC: 1 day 16 hours before Now
        await Apply(In(Penalty(sourceId: "P-1", decided: decided)));
        Time.Advance(TimeSpan.FromSeconds(30));
        using var relay = new OutboxRelay(Db, new Discard(), new OutboxSignal(), Options.Create(new AggregatorOptions()), Metrics,
            NullLogger<OutboxRelay>.Instance);
        await relay.PublishPendingAsync(100, CancellationToken.None);

        var critical = (await Quality.ReportAsync(Day(), CancellationToken.None)).CriticalTimes.Single();
        Assert.Multiple(() =>
        {
            Assert.That(critical.AgencyCode, Is.EqualTo(FoodBureau));
            Assert.That((critical.Applied, critical.Relayed), Is.EqualTo((1L, 1L)));
            Assert.That(critical.DecisionToAppliedP50Seconds, Is.EqualTo(TimeSpan.FromHours(40).TotalSeconds).Within(1));
            Assert.That(critical.AppliedToRelayedP95Seconds, Is.EqualTo(30).Within(0.5));
        });
    }

    [Test]
    public async Task An_agency_quiet_for_longer_than_its_rhythm_is_silent()
    {
        for (var i = 1; i <= 5; i++)
        {
            await Apply(Penalties($"F{i}", 3));                       // a file of three, every hour
            Time.Advance(TimeSpan.FromHours(1));
        }
        // an hour after its last file: its usual gap, not silent
        var food = (await Quality.RhythmsAsync(CancellationToken.None)).Single(r => r.AgencyCode == FoodBureau);
        Assert.That((food.Gaps, food.MedianGapSeconds, food.SilentAfterSeconds, food.Judged, food.Silent),
            Is.EqualTo((4L, (double?)3600, (double?)3 * 3600, true, false)), "records of one file are one arrival");

        Time.Advance(TimeSpan.FromHours(2.5));
        var silent = await Quality.RhythmsAsync(CancellationToken.None);
        Assert.That(silent[0].AgencyCode, Is.EqualTo(FoodBureau), "the silent first");
        Assert.That((silent[0].Silent, silent[0].SilentForSeconds), Is.EqualTo((true, (double?)3.5 * 3600)));
        Assert.That(silent.Single(r => r.AgencyCode == Court), Has.Property(nameof(AgencyRhythm.Judged)).False.And.Property(nameof(AgencyRhythm.Silent)).False,
            "an agency that never sent has no rhythm to miss");

        _options.SilentFloor = TimeSpan.FromHours(6);
        Assert.That((await Quality.RhythmsAsync(CancellationToken.None)).Single(r => r.AgencyCode == FoodBureau).Silent, Is.False, "the floor holds");
    }

    private sealed class Discard : IEventPublisher
    {
        public Task PublishAsync(object message, Type messageType, CancellationToken ct) => Task.CompletedTask;
    }
}
