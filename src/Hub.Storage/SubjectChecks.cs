using Hub.Domain.Catalogue;
using Hub.Domain.Lifecycle;

namespace Hub.Storage;

/// <summary>A listing that restricts the subject under the measure checked, and the catalogue rule by which it does.
/// <see cref="Derived"/>: a listing imputed to the subject as the legal representative of a listed organisation.</summary>
public sealed record CheckReason(CheckRow Listing, SanctionRule Rule)
{
    public bool Derived => Listing.ParentListingId is not null;
}

/// <summary>What a check found for one subject: the subject (null: the index does not know it) and every reason it is
/// restricted; none means allowed.</summary>
public sealed record SubjectCheckResult(SubjectKey Key, CheckedSubject? Subject, IReadOnlyList<CheckReason> Reasons)
{
    public bool Restricted => Reasons.Count > 0;
}

/// <summary>
/// Checks before granting (joint sanctions): is a subject restricted under a measure on a day? Reads the subjects and
/// all their listings set-based (<see cref="IndexDatabase.SubjectsForCheckAsync"/>); each listing is judged on the day by
/// <see cref="ListingClock.StateOn"/> (stored status and term, China Standard Time dates) and linked to the measure by
/// the joint-sanctions catalogue (<see cref="JointSanctionsCatalogue.Restricting"/>), which also decides whether a
/// derived (imputed) listing counts.
/// </summary>
public sealed class SubjectChecks(IndexDatabase db, JointSanctionsCatalogue sanctions)
{
    public JointSanctionsCatalogue Catalogue => sanctions;

    /// <summary>One result per key, in the order of <paramref name="keys"/>; <paramref name="day"/> is a China Standard
    /// Time date (<see cref="ListingClock.Today"/> unless the caller asked about another day).</summary>
    public async Task<IReadOnlyList<SubjectCheckResult>> CheckAsync(IReadOnlyList<SubjectKey> keys, string measure, DateOnly day, CancellationToken ct)
    {
        if (sanctions.FindMeasure(measure) is null)
            throw new ArgumentException($"measure '{measure}' is not in joint-sanctions catalogue {sanctions.Version}", nameof(measure));
        var found = await db.SubjectsForCheckAsync(keys, ct);
        return found.Select(f => new SubjectCheckResult(f.Key, f.Subject, Reasons(f.Listings, measure, day))).ToList();
    }

    /// <summary>The listings that restrict under <paramref name="measure"/> on <paramref name="day"/>: the subject's own
    /// first, then derived ones, each by the start of its term.</summary>
    public IReadOnlyList<CheckReason> Reasons(IEnumerable<CheckRow> listings, string measure, DateOnly day)
    {
        var reasons = new List<CheckReason>();
        foreach (var l in listings)
        {
            if (l.ValidFrom is not { } from) continue;
            var state = ListingClock.StateOn(l.Status, from, l.ValidUntil, day);
            if (sanctions.Restricting(measure, l.ListType, l.ParentListingId is not null, state) is { } rule) reasons.Add(new CheckReason(l, rule));
        }
        return reasons.OrderBy(r => r.Derived).ThenBy(r => r.Listing.ValidFrom).ThenBy(r => r.Listing.ListingId, StringComparer.Ordinal).ToList();
    }
}
