using Hub.Domain.Catalogue;
using Hub.Domain.Lifecycle;
using Hub.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Aggregator.Quality;

/// <summary>Configuration section <c>Hub:Console:Quality</c>: when the data-quality figures raise a flag.</summary>
public sealed class DataQualityOptions
{
    public const string Section = "Hub:Console:Quality";

    /// <summary>Concentration: one agency sends more than this share of its province's records in the period …</summary>
    public double ConcentrationShare { get; set; } = 0.8;

    /// <summary>… of at least this many records (fewer say nothing), in a province where the registry knows more than one agency.</summary>
    public int ConcentrationMinRecords { get; set; } = 20;

    /// <summary>Volume without effect: an agency receives at least this many times its records of the period before …</summary>
    public double VolumeGrowthFactor { get; set; } = 2.0;

    /// <summary>… (and at least <see cref="VolumeMinRecords"/> records) while its listings that took effect are at most this
    /// many times those of the period before.</summary>
    public double EffectGrowthAtMost { get; set; } = 1.25;

    public int VolumeMinRecords { get; set; } = 20;

    /// <summary>Silent agency: no record for longer than this many times its median gap between arrivals …</summary>
    public double SilentGapFactor { get; set; } = 3.0;

    /// <summary>… and never less than this.</summary>
    public TimeSpan SilentFloor { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The rhythm is read over this many days before now …</summary>
    public TimeSpan RhythmWindow { get; set; } = TimeSpan.FromDays(30);

    /// <summary>… from gaps of at least this (records closer together are one arrival: a file, a batch) …</summary>
    public TimeSpan RhythmMinGap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>… and only when there are at least this many gaps; with fewer the agency has no rhythm yet.</summary>
    public int RhythmMinGaps { get; set; } = 3;

    /// <summary>The rhythm changes slowly: it is read again at most this often (the last arrival at every call).</summary>
    public TimeSpan RhythmCacheFor { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>A period an operator chose: a day, an ISO week (from Monday) or a calendar month in China Standard Time,
/// [<see cref="From"/>, <see cref="To"/>) in UTC; <see cref="PreviousFrom"/> starts the period of the same kind before it.</summary>
public sealed record QualityPeriod(string Kind, DateOnly FirstDay, DateOnly LastDay, DateTimeOffset From, DateTimeOffset To, DateTimeOffset PreviousFrom)
{
    public static readonly string[] Kinds = ["day", "week", "month"];

    /// <summary>The period of <paramref name="kind"/> holding <paramref name="day"/>; null for an unknown kind.</summary>
    public static QualityPeriod? Of(string kind, DateOnly day)
    {
        var (first, next, previous) = kind switch
        {
            "day" => (day, day.AddDays(1), day.AddDays(-1)),
            "week" => (day.AddDays(-(((int)day.DayOfWeek + 6) % 7)), default, default),
            "month" => (new DateOnly(day.Year, day.Month, 1), default, default),
            _ => (default, default, default),
        };
        if (first == default) return null;
        if (kind == "week") (next, previous) = (first.AddDays(7), first.AddDays(-7));
        if (kind == "month") (next, previous) = (first.AddMonths(1), first.AddMonths(-1));
        return new QualityPeriod(kind, first, next.AddDays(-1), Start(first), Start(next), Start(previous));
    }

    private static DateTimeOffset Start(DateOnly day) => WorkingDays.EndOfDay(day.AddDays(-1));
}

public sealed record AgencyQuality(string? AgencyCode, string? Province, long Received, long Accepted, long Duplicates, long Rejected,
    IReadOnlyDictionary<string, long> RejectedByReason, long Subjects, long EffectiveListings, double? RegionShare,
    double? DecisionToArrivalP50Seconds, double? DecisionToArrivalP95Seconds, long PreviousReceived, long PreviousListings,
    bool Concentration, bool VolumeWithoutEffect);

public sealed record CriticalTime(string? AgencyCode, long Applied, double? DecisionToAppliedP50Seconds, double? DecisionToAppliedP95Seconds,
    long Relayed, double? AppliedToRelayedP50Seconds, double? AppliedToRelayedP95Seconds);

public sealed record QualityReport(QualityPeriod Period, IReadOnlyList<AgencyQuality> Agencies, IReadOnlyList<CriticalTime> CriticalTimes);

/// <summary>An agency's arrivals: the last, the usual gap between them, and whether it has been quiet for too long.
/// <see cref="Judged"/> false: no rhythm yet (too few arrivals) and not quiet for longer than the whole window.</summary>
public sealed record AgencyRhythm(string AgencyCode, string? Province, DateTimeOffset? LastArrivalAt, double? SilentForSeconds, long Gaps,
    double? MedianGapSeconds, double? SilentAfterSeconds, bool Judged, bool Silent);

/// <summary>
/// The data-quality figures per agency and period, critical times and silent agencies, from what the aggregator wrote
/// about every record it judged (<c>record_intake</c>), with the flags of <see cref="DataQualityOptions"/>.
/// </summary>
public sealed class DataQuality(IndexDatabase db, AgencyRegistry agencies, IOptions<DataQualityOptions> options, TimeProvider time)
{
    private readonly SemaphoreSlim _rhythmGate = new(1, 1);
    private (DateTimeOffset At, IReadOnlyList<ArrivalRhythmRow> Rows)? _rhythms;

    public async Task<QualityReport> ReportAsync(QualityPeriod period, CancellationToken ct)
    {
        var o = options.Value;
        var figures = await db.IntakeFiguresAsync(period.PreviousFrom, period.From, period.To, ct);
        var rejections = (await db.IntakeRejectionsAsync(period.From, period.To, ct)).ToLookup(r => r.AgencyCode);
        var arrival = (await db.DurationPercentilesAsync(IntakeDuration.DecisionToArrival, period.From, period.To, ct)).ToDictionary(r => r.AgencyCode ?? "");
        var applied = await db.DurationPercentilesAsync(IntakeDuration.DecisionToApplied, period.From, period.To, ct);
        var relayed = (await db.DurationPercentilesAsync(IntakeDuration.AppliedToRelayed, period.From, period.To, ct)).ToDictionary(r => r.AgencyCode ?? "");

        var byProvince = figures.Where(f => f.Province is not null).GroupBy(f => f.Province!).ToDictionary(g => g.Key, g => g.Sum(f => f.Received));
        var registered = agencies.All.GroupBy(a => a.ProvinceCode).ToDictionary(g => g.Key, g => g.Count());
        var rows = figures.Where(f => f.Received > 0).Select(f =>
        {
            var regionTotal = f.Province is { } p && byProvince.TryGetValue(p, out var t) ? t : 0;
            double? share = regionTotal > 0 ? (double)f.Received / regionTotal : null;
            var concentration = share > o.ConcentrationShare && regionTotal >= o.ConcentrationMinRecords
                                && f.Province is { } province && registered.GetValueOrDefault(province) > 1;
            var withoutEffect = f.PreviousReceived > 0 && f.Received >= o.VolumeMinRecords && f.Received >= o.VolumeGrowthFactor * f.PreviousReceived
                                && f.Listings <= o.EffectGrowthAtMost * f.PreviousListings;
            var lag = arrival.GetValueOrDefault(f.AgencyCode ?? "");
            return new AgencyQuality(f.AgencyCode, f.Province, f.Received, f.Accepted, f.Duplicates, f.Rejected,
                rejections[f.AgencyCode].ToDictionary(r => r.ReasonCode, r => r.Count), f.Subjects, f.Listings, share, lag?.P50, lag?.P95,
                f.PreviousReceived, f.PreviousListings, concentration, withoutEffect);
        }).OrderByDescending(a => a.Received).ThenBy(a => a.AgencyCode, StringComparer.Ordinal).ToList();
        var critical = applied.Select(a =>
        {
            var r = relayed.GetValueOrDefault(a.AgencyCode ?? "");
            return new CriticalTime(a.AgencyCode, a.Count, a.P50, a.P95, r?.Count ?? 0, r?.P50, r?.P95);
        }).Concat(relayed.Values.Where(r => applied.All(a => a.AgencyCode != r.AgencyCode))
            .Select(r => new CriticalTime(r.AgencyCode, 0, null, null, r.Count, r.P50, r.P95)))
            .OrderBy(c => c.AgencyCode, StringComparer.Ordinal).ToList();
        return new QualityReport(period, rows, critical);
    }

    /// <summary>Every registered agency, and any other that sent records, with its rhythm; the silent ones first.</summary>
    public async Task<IReadOnlyList<AgencyRhythm>> RhythmsAsync(CancellationToken ct)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var rhythms = (await CachedRhythmsAsync(now, ct)).ToDictionary(r => r.AgencyCode, StringComparer.Ordinal);
        var codes = agencies.All.Select(a => a.Code).Concat(rhythms.Keys).Distinct(StringComparer.Ordinal).ToList();
        var last = await db.LastArrivalsAsync(codes, ct);
        return codes.Select(code =>
        {
            var lastAt = last.TryGetValue(code, out var l) ? l : (DateTimeOffset?)null;
            double? quiet = lastAt is { } at ? Math.Max(0, (now - at).TotalSeconds) : null;
            var rhythm = rhythms.GetValueOrDefault(code);
            var gaps = rhythm?.Gaps ?? 0;
            double? after = gaps >= o.RhythmMinGaps && rhythm!.MedianGapSeconds is { } median
                ? Math.Max(o.SilentGapFactor * median, o.SilentFloor.TotalSeconds)
                : null;
            // nothing in the whole window after records before it: silent, whatever its rhythm was
            var beyondWindow = quiet > o.RhythmWindow.TotalSeconds;
            var judged = after is not null || beyondWindow;
            var silent = beyondWindow || quiet > after;
            return new AgencyRhythm(code, agencies.Find(code)?.ProvinceCode, lastAt, quiet, gaps, rhythm?.MedianGapSeconds, after, judged, silent);
        }).OrderByDescending(r => r.Silent).ThenBy(r => r.AgencyCode, StringComparer.Ordinal).ToList();
    }

    private async Task<IReadOnlyList<ArrivalRhythmRow>> CachedRhythmsAsync(DateTimeOffset now, CancellationToken ct)
    {
        await _rhythmGate.WaitAsync(ct);
        try
        {
            var o = options.Value;
            if (_rhythms is { } cached && now - cached.At < o.RhythmCacheFor && now >= cached.At) return cached.Rows;
            var rows = await db.ArrivalRhythmsAsync(now - o.RhythmWindow, o.RhythmMinGap, ct);
            _rhythms = (now, rows);
            return rows;
        }
        finally
        {
            _rhythmGate.Release();
        }
    }
}
