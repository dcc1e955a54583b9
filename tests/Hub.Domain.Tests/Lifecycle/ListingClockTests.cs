using Hub.Domain.Lifecycle;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Domain.Tests.Lifecycle;

public sealed class ListingClockTests
{
    private static readonly DateOnly From = new(2024, 6, 11);
    private static readonly DateOnly Until = new(2026, 6, 10);

    [Test]
    public void A_listing_is_active_to_the_last_second_of_its_last_day_in_Beijing()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 10, 15, 59, 59, TimeSpan.Zero));
        var clock = new ListingClock(time);

        Assert.That(clock.Today, Is.EqualTo(new DateOnly(2026, 6, 10)));
        Assert.That(clock.StateToday("active", From, Until), Is.EqualTo(new ListingState("active", true)));

        time.Advance(TimeSpan.FromSeconds(1));      // 2026-06-11T00:00:00+08:00

        Assert.That(clock.Today, Is.EqualTo(new DateOnly(2026, 6, 11)));
        Assert.That(clock.StateToday("active", From, Until), Is.EqualTo(new ListingState("expired", false)));
    }

    [Test]
    public void Today_in_Beijing_begins_at_16_00_UTC_of_the_day_before()
    {
        Assert.That(ListingClock.DayAt(new DateTimeOffset(2026, 1, 1, 15, 59, 59, TimeSpan.Zero)), Is.EqualTo(new DateOnly(2026, 1, 1)));
        Assert.That(ListingClock.DayAt(new DateTimeOffset(2026, 1, 1, 16, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateOnly(2026, 1, 2)));
        Assert.That(ListingClock.DayAt(new DateTimeOffset(2026, 1, 2, 0, 30, 0, TimeSpan.FromHours(8))), Is.EqualTo(new DateOnly(2026, 1, 2)));
    }

    [Test]
    public void A_listing_until_performed_never_expires()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2199, 12, 31, 16, 0, 0, TimeSpan.Zero));

        Assert.That(new ListingClock(time).StateToday("active", From, null), Is.EqualTo(new ListingState("active", true)));
    }

    [Test]
    public void A_listing_not_begun_yet_is_active_but_restricts_nobody_and_one_ended_keeps_its_status()
    {
        var day = new DateOnly(2024, 6, 10);
        Assert.That(ListingClock.StateOn("active", From, Until, day), Is.EqualTo(new ListingState("active", false)));
        Assert.That(ListingClock.StateOn("removed", From, Until, new DateOnly(2025, 1, 1)), Is.EqualTo(new ListingState("removed", false)));
        Assert.That(ListingClock.StateOn("superseded", From, Until, new DateOnly(2027, 1, 1)), Is.EqualTo(new ListingState("superseded", false)));
    }

    [Test]
    public void A_listing_reads_expired_after_its_term_whether_or_not_the_expiry_sweep_has_stored_it()
    {
        var after = new DateOnly(2026, 6, 11);
        Assert.That(ListingClock.StateOn("active", From, Until, after), Is.EqualTo(new ListingState("expired", false)), "not swept yet");
        Assert.That(ListingClock.StateOn("expired", From, Until, after), Is.EqualTo(new ListingState("expired", false)), "swept");
    }

    [Test]
    public void China_Standard_Time_is_eight_hours_ahead_of_UTC_all_year()
    {
        Assert.That(ListingClock.ChinaStandardTime.GetUtcOffset(new DateTime(2026, 1, 15, 0, 0, 0, DateTimeKind.Utc)), Is.EqualTo(TimeSpan.FromHours(8)));
        Assert.That(ListingClock.ChinaStandardTime.GetUtcOffset(new DateTime(2026, 7, 15, 0, 0, 0, DateTimeKind.Utc)), Is.EqualTo(TimeSpan.FromHours(8)));
    }

    private static readonly DateTimeOffset Recorded = new(2026, 3, 1, 2, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Ended = new(2026, 3, 5, 2, 0, 0, TimeSpan.Zero);

    [TestCase("removed", true)]
    [TestCase("expired", true)]
    [TestCase("superseded", false)]
    public void As_known_after_its_end_a_removed_or_expired_listing_counts_on_its_days_a_superseded_one_on_none(string status, bool inForce)
    {
        var endedOn = new DateOnly(2026, 3, 3);
        var before = ListingClock.AsKnownAt(status, Recorded, Ended, From, Until, endedOn, Ended.AddTicks(-1), new DateOnly(2026, 3, 4));
        Assert.That(before, Is.EqualTo(new ListingState("active", true)), "before its end was recorded it was active");
        Assert.That(ListingClock.AsKnownAt(status, Recorded, Ended, From, Until, endedOn, Ended, new DateOnly(2026, 3, 2)),
            Is.EqualTo(new ListingState(status, inForce)));
        Assert.That(ListingClock.AsKnownAt(status, Recorded, Ended, From, Until, endedOn, Ended, endedOn), Is.EqualTo(new ListingState(status, false)),
            "ended on is the first day no longer listed");
    }

    [Test]
    public void As_known_before_it_was_recorded_a_listing_is_not_there()
    {
        Assert.That(ListingClock.AsKnownAt("active", Recorded, null, From, Until, null, Recorded.AddTicks(-1), From), Is.Null);
        Assert.That(ListingClock.AsKnownAt("active", Recorded, null, From, Until, null, Recorded, From), Is.EqualTo(new ListingState("active", true)));
    }

    [Test]
    public void As_known_while_active_a_day_after_its_term_reads_expired_with_the_day_in_China_Standard_Time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 10, 16, 0, 0, TimeSpan.Zero));
        var day = ListingClock.DayAt(time.GetUtcNow());
        Assert.That(day, Is.EqualTo(new DateOnly(2026, 6, 11)));
        Assert.That(ListingClock.AsKnownAt("active", Recorded, null, From, Until, null, time.GetUtcNow(), day), Is.EqualTo(new ListingState("expired", false)));
        Assert.That(ListingClock.AsKnownAt("active", Recorded, null, From, Until, null, time.GetUtcNow(), Until), Is.EqualTo(new ListingState("active", true)));
    }
}
