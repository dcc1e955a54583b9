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
}
