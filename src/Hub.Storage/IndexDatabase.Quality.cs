using Dapper;

namespace Hub.Storage;

/// <summary>One agency's records in a period and the period before it (<c>record_intake</c>): received (every record
/// judged), accepted (applied or held), duplicates, rejected (quarantined), distinct subjects, issued listings written.</summary>
public sealed class IntakeFiguresRow
{
    public string? AgencyCode { get; set; }
    public string? Province { get; set; }
    public long Received { get; set; }
    public long Accepted { get; set; }
    public long Duplicates { get; set; }
    public long Rejected { get; set; }
    public long Subjects { get; set; }
    public long Listings { get; set; }
    public long PreviousReceived { get; set; }
    public long PreviousListings { get; set; }
}

/// <summary>Records of one agency quarantined in a period for one reason code.</summary>
public sealed class IntakeRejectionRow
{
    public string? AgencyCode { get; set; }
    public string ReasonCode { get; set; } = "";
    public long Count { get; set; }
}

/// <summary>The nearest-rank 50th and 95th percentiles of one duration, in seconds, over <see cref="Count"/> records of an agency.</summary>
public sealed class DurationPercentilesRow
{
    public string? AgencyCode { get; set; }
    public long Count { get; set; }
    public double? P50 { get; set; }
    public double? P95 { get; set; }
}

/// <summary>Which duration <see cref="IndexDatabase.DurationPercentilesAsync"/> reads.</summary>
public enum IntakeDuration
{
    /// <summary>From the start of the record's decision date (China Standard Time) to when it was sent to the Hub (or,
    /// when the message said nothing, applied). Every record with a decision date.</summary>
    DecisionToArrival,

    /// <summary>From the start of the decision date to when the aggregator applied it. Applied and held records.</summary>
    DecisionToApplied,

    /// <summary>From when the aggregator applied it to when its first event went out through the outbox relay.</summary>
    AppliedToRelayed,
}

/// <summary>The rhythm of an agency's arrivals since a given time: how many gaps of at least the given length between
/// consecutive records, and their median, in seconds.</summary>
public sealed class ArrivalRhythmRow
{
    public string AgencyCode { get; set; } = "";
    public long Gaps { get; set; }
    public double? MedianGapSeconds { get; set; }
}

/// <summary>
/// The data-quality figures, set-based over <c>record_intake</c>: the period's rows by the time index, grouped by
/// agency in one statement; percentiles by window functions (nearest rank, the same in both dialects); the last arrival
/// of an agency by one probe of <c>(agency_code, at)</c>. Only the duration arithmetic differs by dialect.
/// </summary>
public sealed partial class IndexDatabase
{
    /// <summary>Every agency with records in [<paramref name="previousFrom"/>, <paramref name="to"/>): its figures in
    /// [<paramref name="from"/>, <paramref name="to"/>) and, for the growth flag, its received and listings in the period before.</summary>
    public Task<IReadOnlyList<IntakeFiguresRow>> IntakeFiguresAsync(DateTimeOffset previousFrom, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        QueryAsync<IntakeFiguresRow>("""
            SELECT agency_code, province,
                   SUM(CASE WHEN at >= @From THEN 1 ELSE 0 END) AS received,
                   SUM(CASE WHEN at >= @From AND outcome IN ('applied', 'held') THEN 1 ELSE 0 END) AS accepted,
                   SUM(CASE WHEN at >= @From AND outcome = 'duplicate' THEN 1 ELSE 0 END) AS duplicates,
                   SUM(CASE WHEN at >= @From AND outcome = 'quarantined' THEN 1 ELSE 0 END) AS rejected,
                   COUNT(DISTINCT CASE WHEN at >= @From THEN subject_id END) AS subjects,
                   SUM(CASE WHEN at >= @From THEN listings ELSE 0 END) AS listings,
                   SUM(CASE WHEN at < @From THEN 1 ELSE 0 END) AS previous_received,
                   SUM(CASE WHEN at < @From THEN listings ELSE 0 END) AS previous_listings
            FROM record_intake WHERE at >= @PreviousFrom AND at < @To
            GROUP BY agency_code, province
            ORDER BY agency_code
            """, new { PreviousFrom = previousFrom, From = from, To = to }, ct);

    /// <summary>The records quarantined in [<paramref name="from"/>, <paramref name="to"/>), by agency and reason code.</summary>
    public Task<IReadOnlyList<IntakeRejectionRow>> IntakeRejectionsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        QueryAsync<IntakeRejectionRow>("""
            SELECT agency_code, COALESCE(reason_code, '') AS reason_code, COUNT(*) AS count
            FROM record_intake WHERE at >= @From AND at < @To AND outcome = 'quarantined'
            GROUP BY agency_code, reason_code ORDER BY agency_code, COUNT(*) DESC, reason_code
            """, new { From = from, To = to }, ct);

    /// <summary>p50 and p95 of <paramref name="duration"/> per agency over the records applied (judged, for
    /// <see cref="IntakeDuration.DecisionToArrival"/>) in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public Task<IReadOnlyList<DurationPercentilesRow>> DurationPercentilesAsync(IntakeDuration duration, DateTimeOffset from, DateTimeOffset to,
        CancellationToken ct)
    {
        var (seconds, filter) = duration switch
        {
            IntakeDuration.DecisionToArrival => (Seconds(DecisionStart, "COALESCE(sent_at, at)"), "decision_date IS NOT NULL"),
            IntakeDuration.DecisionToApplied => (Seconds(DecisionStart, "at"), "decision_date IS NOT NULL AND outcome IN ('applied', 'held')"),
            _ => (Seconds("at", "relayed_at"), "relayed_at IS NOT NULL"),
        };
        return QueryAsync<DurationPercentilesRow>($"""
            SELECT agency_code, n AS count,
                   MIN(CASE WHEN rn = (n * 50 + 99) / 100 THEN d END) AS p50,
                   MIN(CASE WHEN rn = (n * 95 + 99) / 100 THEN d END) AS p95
            FROM (SELECT agency_code, d, ROW_NUMBER() OVER (PARTITION BY agency_code ORDER BY d) AS rn,
                         COUNT(*) OVER (PARTITION BY agency_code) AS n
                  FROM (SELECT agency_code, {seconds} AS d FROM record_intake WHERE at >= @From AND at < @To AND {filter}) x) r
            GROUP BY agency_code, n
            ORDER BY agency_code
            """, new { From = from, To = to }, ct);
    }

    /// <summary>When each of <paramref name="agencies"/> last had a record judged (absent: never), one index probe each.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> LastArrivalsAsync(IEnumerable<string> agencies, CancellationToken ct)
    {
        var last = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using var c = await OpenAsync(ct);
        foreach (var agency in agencies)
            if (await c.ExecuteScalarAsync<DateTimeOffset?>(new CommandDefinition(
                    "SELECT MAX(at) FROM record_intake WHERE agency_code = @Agency", new { Agency = agency }, cancellationToken: ct)) is { } at)
                last[agency] = at;
        return last;
    }

    /// <summary>For every agency with records since <paramref name="since"/>: the gaps between its consecutive records of
    /// at least <paramref name="minGap"/> (a file of a thousand notices is one arrival), counted, and their median.</summary>
    public Task<IReadOnlyList<ArrivalRhythmRow>> ArrivalRhythmsAsync(DateTimeOffset since, TimeSpan minGap, CancellationToken ct) =>
        QueryAsync<ArrivalRhythmRow>($"""
            SELECT agency_code, n AS gaps, MIN(CASE WHEN rn = (n * 50 + 99) / 100 THEN g END) AS median_gap_seconds
            FROM (SELECT agency_code, g, ROW_NUMBER() OVER (PARTITION BY agency_code ORDER BY g) AS rn, COUNT(*) OVER (PARTITION BY agency_code) AS n
                  FROM (SELECT agency_code, {Seconds("prev", "at")} AS g
                        FROM (SELECT agency_code, at, LAG(at) OVER (PARTITION BY agency_code ORDER BY at) AS prev
                              FROM record_intake WHERE at >= @Since AND agency_code IS NOT NULL) a
                        WHERE prev IS NOT NULL) b
                  WHERE g >= @MinGap) r
            GROUP BY agency_code, n
            ORDER BY agency_code
            """, new { Since = since, MinGap = minGap.TotalSeconds }, ct);

    private string DecisionStart => _dialect.Name == "postgres" ? "(decision_date::timestamp AT TIME ZONE 'Asia/Shanghai')" : "decision_date || 'T00:00:00+08:00'";

    /// <summary>Seconds from one time to another, as the dialect computes it (SQLite keeps times as ISO text; its julian
    /// days carry a float's error, rounded off to the millisecond).</summary>
    private string Seconds(string from, string to) => _dialect.Name == "postgres"
        ? $"EXTRACT(EPOCH FROM ({to} - {from}))::double precision"
        : $"ROUND((julianday({to}) - julianday({from})) * 86400.0, 3)";
}
