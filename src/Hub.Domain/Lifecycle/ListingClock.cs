namespace Hub.Domain.Lifecycle;

/// <summary>
/// What a listing's term means on a given day. Terms are calendar dates in China Standard Time (UTC+8, no daylight
/// saving): a listing whose term ends on 10 June restricts its subject until midnight in Beijing, which is 16:00 UTC.
/// "Today" comes from the injected <see cref="TimeProvider"/>, never from the machine's zone.
/// </summary>
public sealed class ListingClock(TimeProvider time)
{
    /// <summary>The status of a listing whose issuer has not ended it but whose term ran out.</summary>
    public const string Expired = "expired";

    /// <summary>The stored status of a listing its issuer has not ended (removed or superseded).</summary>
    public const string Active = "active";

    /// <summary>Asia/Shanghai from the system's zone data; a fixed UTC+8 where the zone is missing (China has kept no
    /// daylight saving since 1991, so the two agree on every date a listing can hold).</summary>
    public static TimeZoneInfo ChinaStandardTime { get; } = FindChinaStandardTime();

    /// <summary>Today's date in China Standard Time.</summary>
    public DateOnly Today => DayAt(time.GetUtcNow());

    /// <summary>The calendar date in China Standard Time at an instant.</summary>
    public static DateOnly DayAt(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, ChinaStandardTime).DateTime);

    /// <summary>In force on <paramref name="day"/>: the term has begun and has not ended (no end: until performed).</summary>
    public static bool IsInForce(DateOnly validFrom, DateOnly? validUntil, DateOnly day) =>
        validFrom <= day && (validUntil is null || day <= validUntil);

    /// <summary>The term ended before <paramref name="day"/>; a listing without an end never expires.</summary>
    public static bool HasExpired(DateOnly? validUntil, DateOnly day) => validUntil is { } until && until < day;

    /// <summary>
    /// A listing as it stands on <paramref name="day"/>: its status — the stored one (<c>removed</c>, <c>superseded</c>)
    /// when its issuer ended it, <see cref="Expired"/> when its term ran out, else <see cref="Active"/> — and whether it
    /// restricts its subject that day.
    /// </summary>
    public static ListingState StateOn(string storedStatus, DateOnly validFrom, DateOnly? validUntil, DateOnly day)
    {
        if (storedStatus != Active) return new ListingState(storedStatus, false);
        if (HasExpired(validUntil, day)) return new ListingState(Expired, false);
        return new ListingState(Active, IsInForce(validFrom, validUntil, day));
    }

    /// <summary>
    /// A listing as the Hub knew it at <paramref name="knownAt"/> (record time), judged on <paramref name="validAt"/>
    /// (valid time, a China Standard Time date); null when the Hub had not recorded it yet. Until the listing ended
    /// (<paramref name="endedAt"/>, when the Hub recorded its end) it reads as it would have then: active, or expired
    /// once <paramref name="validAt"/> is past its term. From <paramref name="endedAt"/> on it reads as it ended: a
    /// listing removed, expired or repaired was still in force on the days of its term before <paramref name="endedOn"/>
    /// (the first day it no longer listed); a listing superseded by a correction was in force on no day — the higher
    /// revision replaces it over its whole term, so after the correction was recorded only the correction counts — nor
    /// was a listing revoked on correction or appeal.
    /// </summary>
    public static ListingState? AsKnownAt(string storedStatus, DateTimeOffset recordedAt, DateTimeOffset? endedAt, DateOnly validFrom,
        DateOnly? validUntil, DateOnly? endedOn, DateTimeOffset knownAt, DateOnly validAt)
    {
        if (recordedAt > knownAt) return null;
        if (storedStatus == Active || endedAt is null || endedAt > knownAt) return StateOn(Active, validFrom, validUntil, validAt);
        var inForce = storedStatus != Superseded && storedStatus != Revoked && IsInForce(validFrom, validUntil, validAt) && (endedOn is null || validAt < endedOn);
        return new ListingState(storedStatus, inForce);
    }

    /// <summary>The stored status of a listing a higher revision of its record replaced.</summary>
    public const string Superseded = "superseded";

    /// <summary>The stored status of a listing annulled on correction or appeal: like a superseded one, in force on no day
    /// once the Hub recorded the revocation.</summary>
    public const string Revoked = "revoked";

    /// <summary><see cref="StateOn"/> today.</summary>
    public ListingState StateToday(string storedStatus, DateOnly validFrom, DateOnly? validUntil) => StateOn(storedStatus, validFrom, validUntil, Today);

    private static TimeZoneInfo FindChinaStandardTime()
    {
        foreach (var id in new[] { "Asia/Shanghai", "China Standard Time" })
        {
            try
            {
                return TimeZoneInfo.FindSystemTimeZoneById(id);
            }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
            }
        }
        return TimeZoneInfo.CreateCustomTimeZone("CST+8", TimeSpan.FromHours(8), "China Standard Time", "China Standard Time");
    }
}

/// <param name="Status"><c>active</c>, <c>expired</c>, <c>removed</c>, <c>superseded</c>, <c>revoked</c> or <c>repaired</c>.</param>
/// <param name="InForce">Whether the listing restricts its subject on that day (active, and its term has begun).</param>
public readonly record struct ListingState(string Status, bool InForce);
