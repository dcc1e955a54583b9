using Hub.Domain.Lifecycle;
using Hub.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>
/// What the index gives history and as-of queries, per dialect, on a fake clock: every listing a subject had with its
/// record time (recorded, ended), the ledger rows that made and ended them — a removal found at the instant its
/// listing ended — and <see cref="ListingClock.AsKnownAt"/> over them before and after a correction and a removal.
/// </summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class HistoryTests<TTarget> : IndexFixture<TTarget> where TTarget : IIndexTarget, new()
{
    private async Task Apply(params object[] records) =>
        await ApplyStep.ApplyAsync(records.Select(r => In(r)).ToList(), CancellationToken.None);

    private async Task<SubjectHistory> History() =>
        (await Db.SubjectHistoryAsync((await Db.FindSubjectIdAsync("uscc", CompanyUscc, CancellationToken.None))!, CancellationToken.None))!;

    private static bool InForce(ListingRow l, DateTimeOffset knownAt, DateOnly validAt) =>
        ListingClock.AsKnownAt(l.Status, l.RecordedAt, l.SupersededAt, l.ValidFrom, l.ValidUntil, l.EndedOn, knownAt, validAt) is { InForce: true };

    private static bool Restricted(SubjectHistory h, DateTimeOffset knownAt, DateOnly validAt) => h.Listings.Any(l => InForce(l, knownAt, validAt));

    [Test]
    public async Task A_correction_recorded_later_replaces_the_first_revision_as_known_from_then_on()
    {
        await Apply(Listed(decided: new DateOnly(2026, 6, 11)));
        var first = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromHours(1));
        await Apply(Listed(revision: 2, decided: new DateOnly(2026, 8, 1)));
        var corrected = Time.GetUtcNow();

        var h = await History();
        var own = h.Listings.Where(l => l.ParentListingId is null).OrderBy(l => l.SourceRevision).ToList();
        Assert.That(own.Select(l => (l.SourceRevision, l.Status, l.RecordedAt)),
            Is.EqualTo(new[] { (1, "superseded", first), (2, "active", corrected) }));
        Assert.That(own[0].SupersededAt, Is.EqualTo(corrected));
        Assert.That(h.Records.Where(r => r.SourceRecordId == "LA-1194").Select(r => (r.Revision, r.Kind, r.ReceivedAt)),
            Is.EquivalentTo(new[] { (1, "JudgmentDefaulterListed", first), (2, "JudgmentDefaulterListed", corrected) }));

        var july = new DateOnly(2026, 7, 1);
        Assert.That(Restricted(h, first - TimeSpan.FromSeconds(1), july), Is.False, "not known yet");
        Assert.That(Restricted(h, first, july), Is.True, "as known before the correction");
        Assert.That(Restricted(h, corrected - TimeSpan.FromSeconds(1), july), Is.True);
        Assert.That(Restricted(h, corrected, july), Is.False, "the correction lists from 1 August");
        Assert.That(Restricted(h, corrected, new DateOnly(2026, 8, 1)), Is.True);
    }

    [Test]
    public async Task A_removal_is_found_at_the_instant_its_listing_ended_and_ends_it_as_known_from_then_on()
    {
        await Apply(Listed(decided: new DateOnly(2026, 6, 11)));
        Time.Advance(TimeSpan.FromMinutes(5));
        await Apply(Listed(sourceId: "LA-2000", decided: new DateOnly(2026, 6, 11)));   // another listing, another instant
        Time.Advance(TimeSpan.FromDays(2));
        await Apply(Removed());                                                         // effective 1 September 2026
        var removed = Time.GetUtcNow();

        var h = await History();
        var ended = h.Listings.Single(l => l.ParentListingId is null && l.SourceRecordId == "LA-1194");
        Assert.That((ended.Status, ended.SupersededAt, ended.EndedOn), Is.EqualTo(("removed", (DateTimeOffset?)removed, (DateOnly?)new DateOnly(2026, 9, 1))));
        var removal = h.Records.Where(r => r.ReceivedAt == removed && r.Kind == "JudgmentDefaulterRemoved").ToList();
        Assert.That(removal.Select(r => r.SourceRecordId), Is.EqualTo(new[] { "LA-1194-R" }));
        Assert.That(removal[0].Payload, Does.Contain("\"listingSourceRecordId\":\"LA-1194\""));

        var october = new DateOnly(2026, 10, 1);
        Assert.That(InForce(ended, removed - TimeSpan.FromTicks(10), october), Is.True, "before the removal was recorded");
        Assert.That(InForce(ended, removed, october), Is.False, "after it");
        Assert.That(InForce(ended, removed, new DateOnly(2026, 8, 31)), Is.True, "listed until the removal took effect");
    }
}
