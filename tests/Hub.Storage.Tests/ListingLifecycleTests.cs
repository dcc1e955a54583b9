using System.Text.Json;
using Hub.Aggregator.Applying;
using Hub.Contracts;
using Hub.Domain.Lifecycle;
using Hub.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>
/// The lifecycle beyond listing, removal and expiry: disputes (marked to every subscriber, a review deadline on the
/// working-day calendar, decided upheld, corrected or revoked) and credit repair (only where the catalogue allows it,
/// never for a judgment-defaulter listing, not before the minimum publicity period).
/// </summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class ListingLifecycleTests<TTarget> : IndexFixture<TTarget> where TTarget : IIndexTarget, new()
{
    private async Task<BatchOutcome> Apply(params object[] records) =>
        await ApplyStep.ApplyAsync(records.Select(r => In(r)).ToList(), CancellationToken.None);

    /// <summary>The events written since the last call (those before are marked published).</summary>
    private async Task<List<(string Type, JsonElement Body)>> NewEvents()
    {
        var rows = await Db.PendingOutboxAsync(10_000, CancellationToken.None);
        await Db.MarkPublishedAsync(rows.Select(r => r.Id).ToList(), CancellationToken.None);
        return rows.Select(r => (r.MessageType, JsonDocument.Parse(r.Payload).RootElement)).ToList();
    }

    private async Task<SubjectDetail> Company() =>
        (await Db.SubjectDetailAsync((await Db.FindSubjectIdAsync("uscc", CompanyUscc, CancellationToken.None))!, CancellationToken.None))!;

    private async Task<List<ListingRow>> AllListings()
    {
        var company = await Db.FindSubjectIdAsync("uscc", CompanyUscc, CancellationToken.None);
        var person = await Db.FindSubjectIdAsync("ric", RepRic, CancellationToken.None);
        return [.. await Db.ListingsOfAsync(company!, CancellationToken.None), .. await Db.ListingsOfAsync(person!, CancellationToken.None)];
    }

    private async Task<QuarantineRow> OnlyQuarantined() => (await Db.QuarantineAsync(null, 10, CancellationToken.None)).Single();

    [Test]
    public async Task A_dispute_marks_the_listing_and_the_one_imputed_from_it_disputed_with_a_review_deadline_past_the_weekend()
    {
        await Apply(Listed());
        await NewEvents();

        // filed on Friday 20 November: the 15th day is Saturday 5 December, so the court has until Monday 7 December
        var outcome = await Apply(Disputed(filed: new DateOnly(2026, 11, 20)));

        Assert.That(outcome.Applied, Is.EqualTo(1));
        var events = await NewEvents();
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "SubjectDisputed", "SubjectDisputed" }), "the issued listing and the representative's");
        var listings = await AllListings();
        Assert.That(events.Select(e => e.Body.GetProperty("listingId").GetString()), Is.EquivalentTo(listings.Select(l => l.Id)));
        Assert.That(events.Select(e => e.Body.GetProperty("reviewDeadline").GetString()).Distinct(), Is.EqualTo(new[] { "2026-12-07" }));
        Assert.That(events.Select(e => e.Body.GetProperty("disputeKind").GetString()).Distinct(), Is.EqualTo(new[] { "CorrectionRequest" }));
        Assert.That(listings.Select(l => l.Status).Distinct(), Is.EqualTo(new[] { ListingStatus.Active }), "a disputed listing stays in force");

        var dispute = (await Company()).Disputes.Single();
        Assert.That((dispute.SourceRecordId, dispute.Kind, dispute.ReviewDeadline, dispute.ResolvedAt), Is.EqualTo(("LA-1194-D", "CorrectionRequest", (DateOnly?)new DateOnly(2026, 12, 7), (DateTimeOffset?)null)));
    }

    [Test]
    public async Task A_review_deadline_that_falls_in_a_public_holiday_moves_to_the_first_working_day_after_it()
    {
        await Apply(Listed());
        // filed 20 September: the 15th day is 5 October, in the National Day holiday (1-7 October)
        await Apply(Disputed(filed: new DateOnly(2026, 9, 20)));

        Assert.That((await Company()).Disputes.Single().ReviewDeadline, Is.EqualTo(new DateOnly(2026, 10, 8)));
    }

    [Test]
    public async Task An_appeal_has_no_review_deadline_and_is_never_overdue()
    {
        await Apply(Listed(), Disputed(kind: DisputeKind.Appeal, filed: new DateOnly(2026, 1, 5)));

        Assert.That((await Company()).Disputes.Single().ReviewDeadline, Is.Null);
        Assert.That(await Db.DisputesAsync(true, new DateOnly(2026, 11, 26), 10, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task The_overdue_report_holds_disputes_undecided_past_their_deadline_and_those_decided_late()
    {
        await Apply(Listed("LA-1"), Listed("LA-2"), Listed("LA-3"));
        // due 20 November (Friday), undecided on 26 November; due 20 November, decided on the 25th; due 7 December
        await Apply(Disputed("LA-1", "D-1", new DateOnly(2026, 11, 5)), Disputed("LA-2", "D-2", new DateOnly(2026, 11, 5)),
            Disputed("LA-3", "D-3", new DateOnly(2026, 11, 20)));
        await Apply(Resolved(DisputeOutcome.Upheld, "LA-2", "D-2", "D-2-R", new DateOnly(2026, 11, 25)));

        var today = ListingClock.DayAt(Time.GetUtcNow());
        var overdue = await Db.DisputesAsync(true, today, 10, CancellationToken.None);
        Assert.That(overdue.Select(d => d.SourceRecordId), Is.EquivalentTo(new[] { "D-1", "D-2" }));
        var open = await Db.DisputesAsync(false, today, 10, CancellationToken.None);
        Assert.That(open.Select(d => d.SourceRecordId), Is.EqualTo(new[] { "D-1", "D-3" }), "undecided ones, the nearest deadline first");

        // a day before D-3's deadline it is not overdue; the day after, it is
        Assert.That((await Db.DisputesAsync(true, new DateOnly(2026, 12, 7), 10, CancellationToken.None)).Select(d => d.SourceRecordId), Does.Not.Contain("D-3"));
        Assert.That((await Db.DisputesAsync(true, new DateOnly(2026, 12, 8), 10, CancellationToken.None)).Select(d => d.SourceRecordId), Does.Contain("D-3"));
    }

    [Test]
    public async Task A_second_dispute_while_one_is_undecided_is_quarantined_naming_the_open_one()
    {
        await Apply(Listed(), Disputed());
        await NewEvents();

        await Apply(Disputed(sourceId: "LA-1194-D2"));

        var q = await OnlyQuarantined();
        Assert.That(q.ReasonCode, Is.EqualTo("dispute-open"));
        Assert.That(q.Reason, Does.Contain("'LA-1194-D'"));
        Assert.That((await NewEvents()).Select(e => e.Type), Is.EqualTo(new[] { "RecordRejected" }));
    }

    [Test]
    public async Task A_dispute_of_a_listing_the_Hub_does_not_hold_in_force_is_quarantined()
    {
        await Apply(Listed("LA-1"), Removed("LA-1"));

        await Apply(Disputed("LA-1", "D-1"), Disputed("LA-NEVER", "D-2"));

        var codes = (await Db.QuarantineAsync(null, 10, CancellationToken.None)).Select(q => (q.SourceRecordId, q.ReasonCode));
        Assert.That(codes, Is.EquivalentTo(new[] { ("D-1", "no-such-listing"), ("D-2", "no-such-listing") }));
        Assert.That((await Company()).Disputes, Is.Empty);
    }

    [Test]
    public async Task A_dispute_naming_another_basis_than_the_listing_is_quarantined()
    {
        await Apply(Listed(basis: "JD-4"));

        await Apply(Disputed(basis: "JD-2"));

        var q = await OnlyQuarantined();
        Assert.That((q.ReasonCode, q.Reason), Is.EqualTo(("basis-mismatch", "the listing with source record id 'LA-1194' was issued under JD-4, the record names JD-2")));
    }

    [Test]
    public async Task An_upheld_dispute_closes_and_the_listing_stays_in_force()
    {
        await Apply(Listed(), Disputed());
        await NewEvents();

        await Apply(Resolved(DisputeOutcome.Upheld));

        var events = await NewEvents();
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "SubjectDisputeResolved", "SubjectDisputeResolved" }));
        Assert.That(events.Select(e => e.Body.GetProperty("outcome").GetString()).Distinct(), Is.EqualTo(new[] { "Upheld" }));
        var dispute = (await Company()).Disputes.Single();
        Assert.That((dispute.Outcome, dispute.DecidedOn, dispute.ResolutionSourceRecordId, dispute.ResolvedAt),
            Is.EqualTo(("Upheld", (DateOnly?)new DateOnly(2026, 11, 25), "LA-1194-DR", (DateTimeOffset?)Samples.Now)));
        Assert.That((await AllListings()).Select(l => l.Status).Distinct(), Is.EqualTo(new[] { ListingStatus.Active }));
    }

    [Test]
    public async Task A_revoked_listing_ends_with_its_imputed_listing_and_was_in_force_on_no_day_once_the_revocation_is_known()
    {
        await Apply(Listed(), Disputed());
        await NewEvents();
        var beforeRevocation = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromHours(1));

        await Apply(Resolved(DisputeOutcome.Revoked));

        var events = await NewEvents();
        Assert.That(events.Select(e => e.Type),
            Is.EqualTo(new[] { "SubjectDisputeResolved", "SubjectDisputeResolved", "SubjectDelisted", "SubjectDelisted" }), "the decision, then the end");
        var delisted = events.Where(e => e.Type == "SubjectDelisted").Select(e => e.Body).ToList();
        Assert.That(delisted.Select(d => (d.GetProperty("status").GetString(), d.GetProperty("reason").GetString(), d.GetProperty("effectiveDate").GetString())).Distinct(),
            Is.EqualTo(new[] { ("revoked", "CorrectionRequest", "2026-06-11") }), "annulled from the first day of its term");
        var listings = await AllListings();
        Assert.That(listings.Select(l => l.Status).Distinct(), Is.EqualTo(new[] { ListingStatus.Revoked }));

        var issued = listings.Single(l => l.ParentListingId is null);
        var july = new DateOnly(2026, 7, 1);
        Assert.That(ListingClock.AsKnownAt(issued.Status, issued.RecordedAt, issued.SupersededAt, issued.ValidFrom, issued.ValidUntil, issued.EndedOn,
            beforeRevocation, july)?.InForce, Is.True, "as the Hub knew it before the revocation, the listing was in force on 1 July");
        Assert.That(ListingClock.AsKnownAt(issued.Status, issued.RecordedAt, issued.SupersededAt, issued.ValidFrom, issued.ValidUntil, issued.EndedOn,
            Time.GetUtcNow(), july), Is.EqualTo(new ListingState("revoked", false)), "once it knew of the revocation, on no day");
    }

    [Test]
    public async Task A_decision_of_a_dispute_the_Hub_does_not_hold_open_is_quarantined()
    {
        await Apply(Listed(), Disputed());

        await Apply(Resolved(DisputeOutcome.Revoked, disputeId: "LA-1194-OTHER"));

        var q = await OnlyQuarantined();
        Assert.That(q.ReasonCode, Is.EqualTo("no-such-dispute"));
        Assert.That(q.Reason, Does.Contain("the undecided one is 'LA-1194-D'"));
        Assert.That((await AllListings()).Select(l => l.Status).Distinct(), Is.EqualTo(new[] { ListingStatus.Active }), "nothing revoked");
    }

    [Test]
    public async Task A_correction_of_a_disputed_listing_is_disputed_too_until_the_dispute_is_decided()
    {
        await Apply(Listed(), Disputed());
        await NewEvents();

        await Apply(Listed(revision: 2));

        var events = await NewEvents();
        var current = (await AllListings()).Where(l => l.Status == ListingStatus.Active).ToList();
        Assert.That(current, Has.Count.EqualTo(2));
        Assert.That(events.Where(e => e.Type == "SubjectDisputed").Select(e => e.Body.GetProperty("listingId").GetString()),
            Is.EquivalentTo(current.Select(l => l.Id)), "the corrected listings are marked with the same dispute");

        await Apply(Resolved(DisputeOutcome.Corrected));
        var resolved = (await NewEvents()).Where(e => e.Type == "SubjectDisputeResolved").ToList();
        Assert.That(resolved.Select(e => e.Body.GetProperty("listingId").GetString()), Is.EquivalentTo(current.Select(l => l.Id)));
    }

    [Test]
    public async Task A_listing_its_dispute_and_the_decision_in_one_batch_apply_in_their_order()
    {
        var outcome = await Apply(Listed(), Disputed(), Resolved(DisputeOutcome.Revoked));

        Assert.That(outcome.Applied, Is.EqualTo(3));
        Assert.That((await NewEvents()).Select(e => e.Type), Is.EqualTo(new[]
        {
            "SubjectListed", "SubjectListed", "SubjectDisputed", "SubjectDisputed", "SubjectDisputeResolved", "SubjectDisputeResolved",
            "SubjectDelisted", "SubjectDelisted",
        }));
        var dispute = (await Company()).Disputes.Single();
        Assert.That(dispute.Outcome, Is.EqualTo("Revoked"));
    }

    [Test]
    public async Task Credit_repair_ends_a_penalty_listing_and_its_imputed_one_but_not_the_court_listing_of_the_same_company()
    {
        await Apply(Listed(), Penalty());
        await NewEvents();

        var outcome = await Apply(Repaired(effective: new DateOnly(2026, 11, 20)));

        Assert.That(outcome.Applied, Is.EqualTo(1));
        var listings = await AllListings();
        Assert.That(listings.Where(l => l.LegalBasis == "FOOD-SERIOUS").Select(l => (l.Status, l.StatusReason, l.EndedOn)).Distinct(),
            Is.EqualTo(new[] { (ListingStatus.Repaired, (string?)"credit-repair", (DateOnly?)new DateOnly(2026, 11, 20)) }));
        Assert.That(listings.Where(l => l.LegalBasis == "JD-4").Select(l => l.Status).Distinct(), Is.EqualTo(new[] { ListingStatus.Active }));
        var events = await NewEvents();
        Assert.That(events.Select(e => (e.Type, e.Body.GetProperty("status").GetString())),
            Is.EqualTo(new[] { ("SubjectDelisted", "repaired"), ("SubjectDelisted", "repaired") }));
    }

    [Test]
    public async Task Credit_repair_before_the_minimum_publicity_period_is_quarantined_and_the_listing_stays()
    {
        await Apply(Penalty(decided: new DateOnly(2026, 3, 1)));

        // decided 1 March 2026: public at least 12 months, through 28 February 2027
        await Apply(Repaired(effective: new DateOnly(2027, 2, 28)));

        var q = await OnlyQuarantined();
        Assert.That(q.ReasonCode, Is.EqualTo("repair-too-early"));
        Assert.That(q.Reason, Does.Contain("until 2027-02-28"));
        Assert.That((await AllListings()).Select(l => l.Status).Distinct(), Is.EqualTo(new[] { ListingStatus.Active }));

        await Apply(Repaired(sourceId: "FOOD-2025-7-CR2", effective: new DateOnly(2027, 3, 1)));
        Assert.That((await AllListings()).Select(l => l.Status).Distinct(), Is.EqualTo(new[] { ListingStatus.Repaired }), "on the first day after it, repair may end it");
    }

    [Test]
    public async Task Credit_repair_never_shortens_a_judgment_defaulter_listing()
    {
        await Apply(Listed());

        await Apply(Repaired("LA-1194", "LA-1194-CR", agency: Court, basis: "JD-4"));

        var q = await OnlyQuarantined();
        Assert.That(q.ReasonCode, Is.EqualTo("repair-not-allowed"));
        Assert.That(q.Reason, Does.Contain("judgment-defaulter listing ends by its court's removal or at the end of its term"));
        Assert.That((await AllListings()).Select(l => l.Status).Distinct(), Is.EqualTo(new[] { ListingStatus.Active }));
    }

    [Test]
    public async Task A_dispute_decided_after_its_listing_ended_closes_without_touching_the_ended_listing()
    {
        await Apply(Listed(), Disputed(kind: DisputeKind.Appeal));
        await Apply(Removed());
        await NewEvents();

        var outcome = await Apply(Resolved(DisputeOutcome.Revoked));

        Assert.That(outcome.Applied, Is.EqualTo(1));
        Assert.That(await NewEvents(), Is.Empty, "no listing in force to tell about");
        Assert.That((await AllListings()).Select(l => l.Status).Distinct(), Is.EqualTo(new[] { ListingStatus.Removed }));
        Assert.That((await Company()).Disputes.Single().Outcome, Is.EqualTo("Revoked"));
    }
}
