using Hub.Domain.Lifecycle;

namespace Hub.Domain.Tests.Lifecycle;

public sealed class WorkingDaysTests
{
    private static readonly WorkingDays Calendar = WorkingDays.Embedded();

    [TestCase("2026-11-27", true, TestName = "A Friday is a working day")]
    [TestCase("2026-11-28", false, TestName = "A Saturday is not")]
    [TestCase("2026-11-29", false, TestName = "A Sunday is not")]
    [TestCase("2026-10-01", false, TestName = "National Day (a Thursday) is not")]
    [TestCase("2026-02-16", false, TestName = "A Monday of the Spring Festival is not")]
    [TestCase("2026-10-10", true, TestName = "The adjusted working Saturday after National Day is")]
    [TestCase("2026-01-04", true, TestName = "The adjusted working Sunday after New Year is")]
    [TestCase("2026-02-28", true, TestName = "The adjusted working Saturday after the Spring Festival is")]
    public void IsWorkingDay_follows_weekends_holidays_and_adjusted_weekends(string day, bool working) =>
        Assert.That(Calendar.IsWorkingDay(DateOnly.Parse(day)), Is.EqualTo(working));

    [TestCase("2026-11-27", 3, "2026-12-02", TestName = "AddWorkingDays_from_a_Friday_skips_the_weekend")]
    [TestCase("2026-11-28", 3, "2026-12-02", TestName = "AddWorkingDays_from_a_Saturday_starts_counting_on_Monday")]
    [TestCase("2026-06-18", 3, "2026-06-24", TestName = "AddWorkingDays_across_the_Dragon_Boat_Festival_moves_further")]
    [TestCase("2026-09-30", 3, "2026-10-10", TestName = "AddWorkingDays_across_National_Day_counts_the_adjusted_Saturday")]
    [TestCase("2026-02-27", 1, "2026-02-28", TestName = "AddWorkingDays_an_adjusted_working_Saturday_counts")]
    [TestCase("2026-02-13", 1, "2026-02-14", TestName = "AddWorkingDays_the_Saturday_before_the_Spring_Festival_counts")]
    [TestCase("2026-02-14", 1, "2026-02-24", TestName = "AddWorkingDays_the_Spring_Festival_is_skipped_whole")]
    [TestCase("2026-11-27", 0, "2026-11-27", TestName = "AddWorkingDays_zero_is_the_day_itself")]
    public void AddWorkingDays_counts_working_days_after_the_day(string from, int n, string expected) =>
        Assert.That(Calendar.AddWorkingDays(DateOnly.Parse(from), n), Is.EqualTo(DateOnly.Parse(expected)));

    [TestCase("2026-11-02", 15, "2026-11-17", TestName = "PeriodEnd_on_a_working_day_is_that_day")]
    [TestCase("2026-11-20", 15, "2026-12-07", TestName = "PeriodEnd_on_a_Saturday_moves_to_Monday")]
    [TestCase("2026-09-20", 15, "2026-10-08", TestName = "PeriodEnd_in_the_National_Day_holiday_moves_past_it")]
    [TestCase("2026-09-25", 15, "2026-10-10", TestName = "PeriodEnd_on_an_adjusted_working_Saturday_stays")]
    public void PeriodEnd_counts_calendar_days_and_ends_on_a_working_day(string from, int days, string expected) =>
        Assert.That(Calendar.PeriodEnd(DateOnly.Parse(from), days), Is.EqualTo(DateOnly.Parse(expected)));

    [Test]
    public void RemovalDeadline_of_a_removal_received_on_a_Friday_is_the_end_of_Wednesday_in_Beijing()
    {
        var friday = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.FromHours(8));

        Assert.That(Calendar.RemovalDeadline(friday), Is.EqualTo(new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.FromHours(8))));
        Assert.That(Calendar.RemovalDeadline(friday).Offset, Is.EqualTo(TimeSpan.Zero), "stored in UTC");
    }

    [Test]
    public void RemovalDeadline_counts_from_the_day_of_receipt_in_Beijing_not_in_UTC()
    {
        // Thursday 23:59 in Beijing: Friday, Monday, Tuesday
        Assert.That(Calendar.RemovalDeadline(new DateTimeOffset(2026, 11, 26, 15, 59, 0, TimeSpan.Zero)),
            Is.EqualTo(new DateTimeOffset(2026, 12, 1, 16, 0, 0, TimeSpan.Zero)));
        // Friday 17:00 UTC is already Saturday 01:00 in Beijing: Monday, Tuesday, Wednesday
        Assert.That(Calendar.RemovalDeadline(new DateTimeOffset(2026, 11, 27, 17, 0, 0, TimeSpan.Zero)),
            Is.EqualTo(new DateTimeOffset(2026, 12, 2, 16, 0, 0, TimeSpan.Zero)));
    }

    [Test]
    public void Load_reads_a_calendar_from_data_and_refuses_a_day_that_is_both_holiday_and_working()
    {
        var calendar = WorkingDays.Load("""
            { "version": "test", "weekend": ["Friday", "Saturday"],
              "holidays": [ { "name": "x", "from": "2030-01-06", "to": "2030-01-07" } ],
              "workingWeekends": [ { "date": "2030-01-04" } ] }
            """);

        Assert.That(calendar.Version, Is.EqualTo("test"));
        Assert.That(calendar.IsWorkingDay(new DateOnly(2030, 1, 4)), Is.True, "an adjusted working Friday");
        Assert.That(calendar.IsWorkingDay(new DateOnly(2030, 1, 5)), Is.False, "Saturday is this calendar's weekend");
        Assert.That(calendar.IsWorkingDay(new DateOnly(2030, 1, 6)), Is.False, "a holiday on a Sunday");
        Assert.That(calendar.IsWorkingDay(new DateOnly(2030, 1, 8)), Is.True);
        Assert.Throws<InvalidDataException>(() => WorkingDays.Load("""
            { "version": "bad", "weekend": ["Saturday", "Sunday"],
              "holidays": [ { "name": "x", "from": "2030-01-05" } ], "workingWeekends": [ { "date": "2030-01-05" } ] }
            """));
    }

    [Test]
    public void The_shipped_calendar_holds_the_State_Councils_2026_arrangement()
    {
        // 7 holidays, 33 days off in all; 6 adjusted working weekend days
        var year = Enumerable.Range(0, 365).Select(i => new DateOnly(2026, 1, 1).AddDays(i)).ToList();
        Assert.That(year.Count(d => d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday && Calendar.IsWorkingDay(d)), Is.EqualTo(6));
        Assert.That(year.Count(Calendar.IsWorkingDay), Is.EqualTo(248), "working days in 2026 (261 weekdays, 19 of them holidays, plus 6 adjusted weekend days)");
    }
}
