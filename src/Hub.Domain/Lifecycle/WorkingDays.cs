using System.Text.Json;
using Hub.Domain.Catalogue;

namespace Hub.Domain.Lifecycle;

/// <summary>
/// The working-day calendar (<c>Catalogue/calendar.json</c>, replaceable by file): weekends are rest days, public
/// holidays are rest days, adjusted working weekends (调休上班) are working days. Days are calendar dates in China
/// Standard Time (<see cref="ListingClock"/>).
/// </summary>
public sealed class WorkingDays
{
    /// <summary>A court's removal must take effect and be published within this many working days.</summary>
    public const int RemovalWorkingDays = 3;

    /// <summary>A subscriber must acknowledge the end of a listing it received within this many working days of its publication.</summary>
    public const int ReceiptWorkingDays = 3;

    private readonly HashSet<DayOfWeek> _weekend;
    private readonly HashSet<DateOnly> _holidays;
    private readonly HashSet<DateOnly> _workingWeekends;

    public WorkingDays(string version, IEnumerable<DayOfWeek> weekend, IEnumerable<DateOnly> holidays, IEnumerable<DateOnly> workingWeekends)
    {
        Version = version;
        _weekend = [.. weekend];
        _holidays = [.. holidays];
        _workingWeekends = [.. workingWeekends];
        if (_holidays.Intersect(_workingWeekends).Order().ToList() is [var both, ..])
            throw new InvalidDataException($"working-day calendar: {both:yyyy-MM-dd} is both a holiday and a working weekend");
    }

    public string Version { get; }

    /// <summary>A working day: an adjusted working weekend, or a day that is neither a weekend day nor a holiday.</summary>
    public bool IsWorkingDay(DateOnly day) =>
        _workingWeekends.Contains(day) || (!_weekend.Contains(day.DayOfWeek) && !_holidays.Contains(day));

    /// <summary>The <paramref name="n"/>-th working day after <paramref name="day"/> (the day itself never counts);
    /// <paramref name="day"/> itself when <paramref name="n"/> is 0.</summary>
    public DateOnly AddWorkingDays(DateOnly day, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var d = day;
        for (var counted = 0; counted < n;)
        {
            d = d.AddDays(1);
            if (IsWorkingDay(d)) counted++;
        }
        return d;
    }

    /// <summary>
    /// The last day of a period of <paramref name="days"/> calendar days that begins the day after
    /// <paramref name="from"/> (the day of filing never counts); a period whose last day is a rest day ends on the next
    /// working day (the rule of the Civil Procedure Law on periods, art. 85). A correction request filed on 1 March
    /// with 15 days to decide is due on 16 March, or on the first working day after it when 16 March is a rest day.
    /// </summary>
    public DateOnly PeriodEnd(DateOnly from, int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        var d = from.AddDays(days);
        while (!IsWorkingDay(d)) d = d.AddDays(1);
        return d;
    }

    /// <summary>
    /// When a removal received at <paramref name="receivedAt"/> must have taken effect and been published: the end
    /// (midnight in Beijing) of the <see cref="RemovalWorkingDays"/>-th working day after the day it was received in
    /// China Standard Time. The day of receipt never counts, whether or not it is a working day: received on a Friday,
    /// the deadline is the end of the next Wednesday (Monday, Tuesday, Wednesday).
    /// </summary>
    public DateTimeOffset RemovalDeadline(DateTimeOffset receivedAt) => EndOfDay(AddWorkingDays(ListingClock.DayAt(receivedAt), RemovalWorkingDays));

    /// <summary>
    /// When a subscriber must have acknowledged the end of a listing published at <paramref name="publishedAt"/> (a
    /// removal receipt): the end (midnight in Beijing) of the <see cref="ReceiptWorkingDays"/>-th working day after the
    /// day of publication in China Standard Time — the rule of <see cref="RemovalDeadline"/>, counted from the publication.
    /// </summary>
    public DateTimeOffset ReceiptDeadline(DateTimeOffset publishedAt) => EndOfDay(AddWorkingDays(ListingClock.DayAt(publishedAt), ReceiptWorkingDays));

    /// <summary>Midnight in China Standard Time at the end of <paramref name="day"/>, in UTC.</summary>
    public static DateTimeOffset EndOfDay(DateOnly day)
    {
        var midnight = day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(midnight, ListingClock.ChinaStandardTime.GetUtcOffset(midnight)).ToUniversalTime();
    }

    public static WorkingDays Load(string json)
    {
        var file = JsonSerializer.Deserialize<CalendarFile>(json, CatalogueJson.Options)
                   ?? throw new InvalidDataException("working-day calendar is empty");
        if (string.IsNullOrWhiteSpace(file.Version)) throw new InvalidDataException("working-day calendar has no version");
        var weekend = file.Weekend.Select(d => Enum.TryParse<DayOfWeek>(d, true, out var w)
            ? w : throw new InvalidDataException($"working-day calendar: '{d}' is not a day of the week")).ToList();
        var holidays = new List<DateOnly>();
        foreach (var h in file.Holidays)
        {
            var to = h.To ?? h.From;
            if (to < h.From) throw new InvalidDataException($"working-day calendar: holiday {h.Name} ends before it begins");
            for (var d = h.From; d <= to; d = d.AddDays(1)) holidays.Add(d);
        }
        return new WorkingDays(file.Version, weekend, holidays, file.WorkingWeekends.Select(w => w.Date));
    }

    /// <summary>The calendar shipped with this build (Catalogue/calendar.json).</summary>
    public static WorkingDays Embedded() => EmbeddedCalendar.Value;

    private static readonly Lazy<WorkingDays> EmbeddedCalendar = new(() => Load(CatalogueJson.ReadEmbedded("calendar.json")));

    private sealed record CalendarFile(string Version, List<string> Weekend, List<HolidayEntry> Holidays, List<WorkingWeekendEntry> WorkingWeekends);
    private sealed record HolidayEntry(string Name, DateOnly From, DateOnly? To);
    private sealed record WorkingWeekendEntry(DateOnly Date);
}
