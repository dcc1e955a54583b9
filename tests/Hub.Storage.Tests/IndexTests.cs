using System.Text.Json;
using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Contracts;
using Hub.Domain.Intake;
using Hub.Testing;
using Microsoft.Extensions.Time.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>The index and the aggregator's apply step against each database dialect, from one fixture.</summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class IndexTests<TTarget> where TTarget : IIndexTarget, new()
{
    private TTarget _target = default!;
    private FakeTimeProvider _time = default!;
    private IndexDatabase _db = default!;
    private RecordApplier _applier = default!;
    private AggregatorMetrics _metrics = default!;

    [SetUp]
    public async Task SetUp()
    {
        _target = new TTarget();
        _time = new FakeTimeProvider(Now);
        _db = await _target.CreateAsync(_time);
        await _db.MigrateAsync(CancellationToken.None);
        _applier = Applier(_db, _time, _metrics = new AggregatorMetrics());
    }

    [TearDown]
    public async Task TearDown() => await _target.DisposeAsync();

    private Task<BatchOutcome> Apply(params Incoming[] batch) => _applier.ApplyAsync(batch, CancellationToken.None);

    private async Task<string> SubjectId(string scheme, string value) =>
        await _db.FindSubjectIdAsync(scheme, value, CancellationToken.None) ?? throw new AssertionException($"no subject with {scheme} {value}");

    private async Task<List<(string Type, JsonElement Body)>> Outbox() =>
        (await _db.PendingOutboxAsync(10_000, CancellationToken.None)).Select(r => (r.MessageType, JsonDocument.Parse(r.Payload).RootElement)).ToList();

    [Test]
    public async Task Migrating_again_changes_nothing()
    {
        await _db.MigrateAsync(CancellationToken.None);
        await Apply(In(Listed()));
        await _db.MigrateAsync(CancellationToken.None);
        Assert.That(await _db.CountListingsAsync(CancellationToken.None), Is.EqualTo(1));
    }

    [Test]
    public async Task A_list_of_keys_is_one_parameter_however_long_it_is()
    {
        // more keys than SQLite takes parameters in a statement (32,766): a list is one parameter on both dialects (on
        // SQLite a JSON array read by json_each). A parameter per key cost SQLite P² name comparisons, and past the limit
        // the statement failed
        await Apply(In(Listed()));
        var pending = await _db.PendingOutboxAsync(100, CancellationToken.None);
        Assert.That(pending, Is.Not.Empty, "precondition: the listing's events wait in the outbox");
        var manyIds = Enumerable.Range(1, 40_000).Select(i => (long)i + 1_000_000).ToList();

        Assert.That(await _db.PendingOutboxAsync(100, CancellationToken.None, manyIds.ToHashSet(), Enumerable.Range(0, 40_000).Select(i => $"k{i}").ToHashSet()),
            Has.Count.EqualTo(pending.Count), "none of the parked ids or keys is pending: all still go");
        await using (var session = await _db.BeginAsync(CancellationToken.None))
        {
            await session.MarkSeenAsync("m-known", Now, CancellationToken.None);
            var seen = await session.SeenMessagesAsync(Enumerable.Range(0, 40_000).Select(i => $"m-{i}").Append("m-known").ToList(), CancellationToken.None);
            Assert.That(seen, Is.EquivalentTo(new[] { "m-known" }));
            await session.CommitAsync(CancellationToken.None);
        }
        await _db.MarkPublishedAsync([.. manyIds, .. pending.Select(r => r.Id)], CancellationToken.None);
        Assert.That(await _db.PendingOutboxAsync(100, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task When_a_court_lists_a_company_its_legal_representative_is_listed_too()
    {
        var outcome = await Apply(In(Listed()));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(1, 0, 0)));
        var company = await SubjectId("uscc", CompanyUscc);
        Assert.That(await SubjectId("org-code", CompanyOrgCode), Is.EqualTo(company), "the legacy code links to the same subject");
        var person = await SubjectId("ric", RepRic);

        var relations = await _db.RelationsOfAsync(company, CancellationToken.None);
        Assert.That(relations.Select(r => (r.OrganizationId, r.PersonId, r.Role)), Is.EqualTo(new[] { (company, person, "legal-representative") }));

        var own = (await _db.ListingsOfAsync(company, CancellationToken.None)).Single();
        var imputed = (await _db.ListingsOfAsync(person, CancellationToken.None)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(own.ListType, Is.EqualTo("judgment-defaulter"));
            Assert.That(own.LegalBasis, Is.EqualTo("JD-4"));
            Assert.That(own.OriginProvince, Is.EqualTo("34"));
            Assert.That(own.ValidFrom, Is.EqualTo(new DateOnly(2026, 6, 11)));
            Assert.That(own.ValidUntil, Is.EqualTo(new DateOnly(2028, 6, 10)));
            Assert.That(own.RecordedAt, Is.EqualTo(Now), "times come from the injected clock");
            Assert.That(own.CatalogueVersion, Is.EqualTo("2026.2"));
            Assert.That(imputed.ParentListingId, Is.EqualTo(own.Id));
            Assert.That(imputed.ImputedRole, Is.EqualTo("legal-representative"));
        });

        var events = await Outbox();
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "SubjectListed", "SubjectListed" }));
        Assert.That(events[1].Body.GetProperty("identifier").GetString(), Is.EqualTo("3411221978****361X"), "person ID numbers leave the Hub masked");
    }

    [Test]
    public async Task The_same_record_delivered_twice_gives_one_listing()
    {
        var message = In(Listed(), "m-1");
        await Apply(message);
        var again = await Apply(message);                       // same message redelivered
        var resent = await Apply(In(Listed(), "m-2"));          // same record, sent again as a new message
        var inOneBatch = await Apply(In(Listed(sourceId: "LA-2")), In(Listed(sourceId: "LA-2")));

        Assert.That(again, Is.EqualTo(new BatchOutcome(0, 1, 0)));
        Assert.That(resent, Is.EqualTo(new BatchOutcome(0, 1, 0)));
        Assert.That(inOneBatch, Is.EqualTo(new BatchOutcome(1, 1, 0)));
        Assert.That(await _db.CountListingsAsync(CancellationToken.None), Is.EqualTo(2));
    }

    [Test]
    public async Task Records_are_counted_by_outcome_for_operators()
    {
        var counted = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == _metrics.Meter && instrument.Name == AggregatorMetrics.RecordsName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var outcome = (string)tags.ToArray().Single(t => t.Key == "outcome").Value!;
            counted[outcome] = counted.GetValueOrDefault(outcome) + value;
        });
        listener.Start();

        await Apply(In(Listed(), "m-1"), In(Listed(sourceId: "LA-2"), "m-2"));
        await Apply(In(Listed(), "m-1"), In(Listed(sourceId: "LA-3", uscc: "9134112215678901XD"), "m-3"));

        Assert.That(counted, Is.EquivalentTo(new Dictionary<string, long> { ["applied"] = 2, ["duplicate"] = 1, ["rejected"] = 1 }));
    }

    [Test]
    public async Task When_a_court_removes_a_listing_it_and_the_imputed_listing_end_and_subscribers_are_told()
    {
        await Apply(In(Listed()));
        await _db.MarkPublishedAsync((await _db.PendingOutboxAsync(100, CancellationToken.None)).Select(r => r.Id).ToList(), CancellationToken.None);

        var outcome = await Apply(In(Removed()));

        Assert.That(outcome.Applied, Is.EqualTo(1));
        foreach (var id in new[] { await SubjectId("uscc", CompanyUscc), await SubjectId("ric", RepRic) })
        {
            var l = (await _db.ListingsOfAsync(id, CancellationToken.None)).Single();
            Assert.That((l.Status, l.StatusReason, l.EndedOn), Is.EqualTo(("removed", "Performed", (DateOnly?)new DateOnly(2026, 9, 1))));
        }
        var events = await Outbox();
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "SubjectDelisted", "SubjectDelisted" }));
        Assert.That(events[0].Body.GetProperty("reason").GetString(), Is.EqualTo("Performed"));
    }

    [Test]
    public async Task A_removal_of_a_listing_the_hub_does_not_hold_waits_for_it_and_is_on_record_as_held()
    {
        var outcome = await Apply(In(Removed(listingSourceId: "NOPE"), "early"));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(0, 0, 0, Held: 1)));
        Assert.That(await _db.QuarantineAsync(null, 10, CancellationToken.None), Is.Empty, "not refused: its listing may still come");
        Assert.That(await Outbox(), Is.Empty);
        var held = (await _db.HeldRemovalsAsync(10, CancellationToken.None)).Single();
        Assert.Multiple(() =>
        {
            Assert.That((held.AgencyCode, held.SourceRecordId, held.ListingSourceRecordId, held.MessageId), Is.EqualTo((Court, "LA-1194-R", "NOPE", (string?)"early")));
            Assert.That(held.ReceivedAt, Is.EqualTo(Now));
            Assert.That(held.Deadline, Is.EqualTo(Now.AddDays(3)), "three days by default, on the injected clock");
        });
        var audited = (await _db.AuditLatestAsync(10, CancellationToken.None)).Single(a => a.Action == "record.apply");
        Assert.That(audited.Outcome, Is.EqualTo("held"));
    }

    [Test]
    public async Task A_removal_before_its_listing_ends_the_listing_when_it_arrives_in_the_next_batch()
    {
        await Apply(In(Removed()));
        _time.Advance(TimeSpan.FromHours(2));

        var outcome = await Apply(In(Listed()));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(2, 0, 0)), "the listing, and the removal that waited for it");
        var company = (await _db.ListingsOfAsync(await SubjectId("uscc", CompanyUscc), CancellationToken.None)).Single();
        var imputed = (await _db.ListingsOfAsync(await SubjectId("ric", RepRic), CancellationToken.None)).Single();
        Assert.That((company.Status, company.StatusReason, company.EndedOn), Is.EqualTo(("removed", "Performed", (DateOnly?)new DateOnly(2026, 9, 1))));
        Assert.That(imputed.Status, Is.EqualTo("removed"), "the imputed listing ends with it");
        var events = await Outbox();
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "SubjectListed", "SubjectListed", "SubjectDelisted", "SubjectDelisted" }));
        Assert.That(events.Where(e => e.Type == "SubjectDelisted").Select(e => e.Body.GetProperty("listingId").GetString()),
            Is.EqualTo(new[] { company.Id, imputed.Id }), "one SubjectDelisted for each listing");
        Assert.That(await _db.HeldRemovalsAsync(10, CancellationToken.None), Is.Empty, "no longer waiting");
        Assert.That(await _db.QuarantineAsync(null, 10, CancellationToken.None), Is.Empty);
        var audited = (await _db.AuditLatestAsync(10, CancellationToken.None)).Where(a => a.Action == "record.apply").Reverse().Select(a => a.Outcome);
        Assert.That(audited, Is.EqualTo(new[] { "held", "applied", "applied" }));

        Assert.That(await Apply(In(Removed())), Is.EqualTo(new BatchOutcome(0, 1, 0)), "the removal sent again is a duplicate");
    }

    [Test]
    public async Task A_removal_before_its_listing_in_one_batch_ends_it()
    {
        var outcome = await Apply(In(Removed()), In(Listed()));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(2, 0, 0)));
        foreach (var id in new[] { await SubjectId("uscc", CompanyUscc), await SubjectId("ric", RepRic) })
            Assert.That((await _db.ListingsOfAsync(id, CancellationToken.None)).Single().Status, Is.EqualTo("removed"));
        Assert.That((await Outbox()).Select(e => e.Type), Is.EqualTo(new[] { "SubjectListed", "SubjectListed", "SubjectDelisted", "SubjectDelisted" }));
        Assert.That(await _db.HeldRemovalsAsync(10, CancellationToken.None), Is.Empty);
        Assert.That(await _db.QuarantineAsync(null, 10, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task A_removal_sent_again_while_it_waits_is_held_once_and_applied_once()
    {
        await Apply(In(Removed()));
        await Apply(In(Removed()));
        Assert.That(await _db.HeldRemovalsAsync(10, CancellationToken.None), Has.Count.EqualTo(1));

        var outcome = await Apply(In(Removed()), In(Listed()), In(Removed()));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(2, 2, 0)), "the listing and the removal once; the copies are duplicates");
        Assert.That((await Outbox()).Count(e => e.Type == "SubjectDelisted"), Is.EqualTo(2));
        Assert.That(await _db.HeldRemovalsAsync(10, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task A_held_removal_past_its_deadline_is_quarantined_as_no_such_listing_and_its_court_is_told()
    {
        await Apply(In(Removed(listingSourceId: "NEVER")));
        _time.Advance(TimeSpan.FromDays(3) - TimeSpan.FromSeconds(1));
        Assert.That(await _applier.SweepHeldRemovalsAsync(CancellationToken.None), Is.EqualTo(new HeldSweep(0, 0, 1)), "not yet");

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(await _applier.SweepHeldRemovalsAsync(CancellationToken.None), Is.EqualTo(new HeldSweep(0, 1, 0)));

        var q = (await _db.QuarantineAsync(Court, 10, CancellationToken.None)).Single();
        Assert.That((q.ReasonCode, q.SourceRecordId), Is.EqualTo((Rejection.NoSuchListing, "LA-1194-R")));
        Assert.That(q.Reason, Is.EqualTo("agency COURT-34-1122 sent no listing with source record id 'NEVER' within 3 days of this removal"));
        var rejected = (await Outbox()).Single();
        Assert.That((rejected.Type, rejected.Body.GetProperty("reasonCode").GetString()), Is.EqualTo(("RecordRejected", Rejection.NoSuchListing)));
        Assert.That(await _db.HeldRemovalsAsync(10, CancellationToken.None), Is.Empty);
        var audited = (await _db.AuditLatestAsync(10, CancellationToken.None)).Where(a => a.Action == "record.apply").Reverse().Select(a => a.Outcome);
        Assert.That(audited, Is.EqualTo(new[] { "held", "quarantined:no-such-listing" }));

        await Apply(In(Listed(sourceId: "NEVER")));
        Assert.That((await _db.ListingsOfAsync(await SubjectId("uscc", CompanyUscc), CancellationToken.None)).Single().Status, Is.EqualTo("active"),
            "a listing after the deadline is not ended by the removal that gave up on it");
    }

    [Test]
    public async Task A_listing_applied_where_nobody_looked_for_held_removals_is_ended_by_the_next_sweep()
    {
        // a second aggregator that swept an empty table reads no held removals for its batches
        var other = Applier(_db, _time, new AggregatorMetrics());
        await other.SweepHeldRemovalsAsync(CancellationToken.None);
        await Apply(In(Removed()));

        await other.ApplyAsync([In(Listed())], CancellationToken.None);
        Assert.That((await _db.ListingsOfAsync(await SubjectId("uscc", CompanyUscc), CancellationToken.None)).Single().Status, Is.EqualTo("active"));

        Assert.That(await other.SweepHeldRemovalsAsync(CancellationToken.None), Is.EqualTo(new HeldSweep(1, 0, 0)));
        foreach (var id in new[] { await SubjectId("uscc", CompanyUscc), await SubjectId("ric", RepRic) })
            Assert.That((await _db.ListingsOfAsync(id, CancellationToken.None)).Single().Status, Is.EqualTo("removed"));
        Assert.That(await _db.HeldRemovalsAsync(10, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task A_removal_of_a_listing_that_ended_already_is_quarantined_at_once()
    {
        await Apply(In(Listed()));
        await Apply(In(Removed()));

        var outcome = await Apply(In(Removed(sourceId: "LA-1194-R2")));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(0, 0, 1)));
        var q = (await _db.QuarantineAsync(Court, 10, CancellationToken.None)).Single();
        Assert.That((q.ReasonCode, q.Reason), Is.EqualTo((Rejection.NoSuchListing, "the listing of agency COURT-34-1122 with source record id 'LA-1194' has ended already")));
        Assert.That(await _db.HeldRemovalsAsync(10, CancellationToken.None), Is.Empty, "nothing to wait for");
    }

    [Test]
    public async Task A_notice_with_a_bad_check_character_is_quarantined_with_its_reason_and_rejected_back()
    {
        var outcome = await Apply(In(Listed(uscc: "9134112215678901XD"), "bad-1"));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(0, 0, 1)));
        var q = (await _db.QuarantineAsync(null, 10, CancellationToken.None)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(q.ReasonCode, Is.EqualTo("invalid-identifier"));
            Assert.That(q.Reason, Is.EqualTo("subject.uscc: check character is 'D', expected 'C'"));
            Assert.That(q.MessageId, Is.EqualTo("bad-1"));
            Assert.That(q.Payload, Does.Contain("9134112215678901XD"), "the record is kept whole in quarantine");
        });
        var rejected = (await Outbox()).Single();
        Assert.That(rejected.Type, Is.EqualTo("RecordRejected"));
        Assert.That(rejected.Body.GetProperty("quarantineId").GetString(), Is.EqualTo(q.Id));
        Assert.That(await _db.CountListingsAsync(CancellationToken.None), Is.Zero);
    }

    private async Task<List<string?>> RejectedQuarantineIds(string sourceId) =>
        (await Outbox()).Where(e => e.Type == "RecordRejected" && e.Body.GetProperty("sourceRecordId").GetString() == sourceId)
            .Select(e => e.Body.GetProperty("quarantineId").GetString()).ToList();

    private async Task<List<QuarantineRow>> QuarantineOf(string sourceId) =>
        (await _db.QuarantineAsync(null, 100, CancellationToken.None)).Where(q => q.SourceRecordId == sourceId).OrderBy(q => q.ReceivedAt).ToList();

    [Test]
    public async Task A_refused_record_sent_three_times_waits_in_quarantine_once_and_is_answered_each_time()
    {
        var bad = Listed(sourceId: "LA-BAD", uscc: "9134112215678901XD");
        for (var i = 0; i < 3; i++)
        {
            Assert.That(await Apply(In(bad)), Is.EqualTo(new BatchOutcome(0, 0, 1)), $"send {i + 1}");
            _time.Advance(TimeSpan.FromMinutes(5));
        }

        var q = (await QuarantineOf("LA-BAD")).Single();
        Assert.That(q.ReceivedAt, Is.EqualTo(Now), "the row of the first send stays");
        Assert.That(await RejectedQuarantineIds("LA-BAD"), Is.EqualTo(new[] { q.Id, q.Id, q.Id }), "every send is answered, with the row it waits in");
        var audited = (await _db.AuditLatestAsync(10, CancellationToken.None)).Where(a => a.Action == "record.apply").Select(a => a.Outcome);
        Assert.That(audited, Is.EqualTo(Enumerable.Repeat("quarantined:invalid-identifier", 3)), "every refusal stays on the audit log");
    }

    [Test]
    public async Task A_refused_record_twice_in_one_batch_waits_in_quarantine_once()
    {
        // refused before the ledger step, which otherwise counts the second copy as a duplicate
        var bad = Listed(sourceId: "NUL-2") with { CaseNumber = "(2026)皖1122执\u00001194号" };

        Assert.That(await Apply(In(bad), In(bad)), Is.EqualTo(new BatchOutcome(0, 0, 2)));

        var q = (await QuarantineOf("NUL-2")).Single();
        Assert.That(q.ReasonCode, Is.EqualTo(Rejection.InvalidText));
        Assert.That(await RejectedQuarantineIds("NUL-2"), Is.EqualTo(new[] { q.Id, q.Id }));
    }

    [Test]
    public async Task A_higher_revision_refused_waits_in_quarantine_beside_the_first()
    {
        await Apply(In(Listed(sourceId: "LA-REV", revision: 1, uscc: "9134112215678901XD")));
        await Apply(In(Listed(sourceId: "LA-REV", revision: 1, uscc: "9134112215678901XD")));
        _time.Advance(TimeSpan.FromMinutes(5));
        await Apply(In(Listed(sourceId: "LA-REV", revision: 2, uscc: "9134112215678901XD")));

        var quarantined = await QuarantineOf("LA-REV");
        Assert.That(quarantined.Select(q => q.Revision), Is.EqualTo(new int?[] { 1, 2 }));
        Assert.That(await RejectedQuarantineIds("LA-REV"), Is.EqualTo(new[] { quarantined[0].Id, quarantined[0].Id, quarantined[1].Id }));
    }

    [Test]
    public async Task A_refused_record_resent_after_its_release_is_quarantined_anew()
    {
        var bad = Listed(sourceId: "LA-REL", uscc: "9134112215678901XD");
        await Apply(In(bad));
        var first = (await QuarantineOf("LA-REL")).Single();
        await _target.ExecuteAsync(
            $"UPDATE quarantine SET released_at = '2026-11-26 08:30:00+00:00' WHERE id = '{first.Id}'",
            $"UPDATE quarantine SET released_at = '2026-11-26 08:30:00+00:00' WHERE id = '{first.Id}'");
        _time.Advance(TimeSpan.FromHours(1));

        await Apply(In(bad));
        await Apply(In(bad));

        var quarantined = await QuarantineOf("LA-REL");
        Assert.That(quarantined.Select(q => q.Id).ToList(), Has.Count.EqualTo(2).And.Contains(first.Id), "released, the first row no longer holds the record");
        Assert.That(await RejectedQuarantineIds("LA-REL"), Is.EqualTo(new[] { first.Id, quarantined[1].Id, quarantined[1].Id }));
    }

    [Test]
    public async Task Refused_records_without_a_key_are_quarantined_every_time()
    {
        var anonymous = Listed(sourceId: "ANON-3");
        var noSourceId = Listed(sourceId: "  ");

        await Apply(new Incoming("a-1", anonymous, PublisherAgency: null), In(noSourceId), In(noSourceId));
        await Apply(new Incoming("a-2", anonymous, PublisherAgency: null), In(noSourceId));

        var quarantined = await _db.QuarantineAsync(null, 10, CancellationToken.None);
        Assert.That(quarantined.Count(q => q.SourceRecordId == "ANON-3"), Is.EqualTo(2), "nobody vouches for the publisher: nothing tells two such records apart");
        Assert.That(quarantined.Count(q => q.SourceRecordId == "  "), Is.EqualTo(3), "no source record id: each notice is kept");
        var answered = (await Outbox()).Where(e => e.Type == "RecordRejected").Select(e => e.Body.GetProperty("quarantineId").GetString()).ToList();
        Assert.That(answered, Has.Count.EqualTo(3).And.Unique, "each notice without a source record id is answered with a row of its own");
    }

    [Test]
    public async Task Migrating_keeps_the_earliest_of_the_quarantine_rows_a_record_waits_in()
    {
        // the schema as it was before quarantine kept one waiting row per record (and before held removals, expiry and removal deadlines),
        // holding what earlier builds left
        const string later = "DROP INDEX ix_subject_identifiers_subject_scheme; CREATE INDEX ix_subject_identifiers_subject ON subject_identifiers (subject_id); DROP INDEX ix_subjects_name_separator; DROP INDEX ix_subjects_core_missing; DROP TABLE failed_messages; DROP TABLE record_intake; DROP INDEX ix_subjects_core_name; DROP INDEX ix_subjects_person_name; ALTER TABLE subjects DROP COLUMN core_name; DROP TABLE match_reviews; DROP TABLE subject_merges; DROP TABLE quarantine_decisions; DROP TABLE hub_instances; DROP TABLE webhook_deliveries; DROP TABLE webhook_dead_letters; DROP TABLE removal_receipts; DROP TABLE subscriptions; DROP TABLE subscriber_queues; DROP TABLE disputes; DROP TABLE removal_deadlines; DROP INDEX ix_inbox_received; DROP TABLE leases; DROP INDEX ix_listings_expiry; DROP INDEX ix_listings_parent; DROP TABLE held_removals; ";
        await _target.ExecuteAsync(
            later + "DROP INDEX ux_quarantine_waiting; DROP INDEX ix_quarantine_source; DELETE FROM schema_version WHERE version >= 4;",
            later + "DROP INDEX ux_quarantine_waiting; DROP INDEX ix_quarantine_source; DELETE FROM schema_version WHERE version >= 5;");
        var rows = new[]
        {
            ("q-second", "'COURT-34-1122'", "'LA-OLD'", "'2026-11-26 09:00:00+00:00'", "NULL"),
            ("q-first", "'COURT-34-1122'", "'LA-OLD'", "'2026-11-26 08:00:00+00:00'", "NULL"),
            ("q-third", "'COURT-34-1122'", "'LA-OLD'", "'2026-11-26 10:00:00+00:00'", "NULL"),
            ("q-released", "'COURT-34-1122'", "'LA-OLD'", "'2026-11-26 07:00:00+00:00'", "'2026-11-26 07:30:00+00:00'"),
            ("q-anon-1", "NULL", "'LA-OLD'", "'2026-11-26 08:00:00+00:00'", "NULL"),
            ("q-anon-2", "NULL", "'LA-OLD'", "'2026-11-26 09:00:00+00:00'", "NULL"),
            ("q-other", "'COURT-34-1122'", "'LA-OTHER'", "'2026-11-26 09:00:00+00:00'", "NULL"),
        };
        var insert = "INSERT INTO quarantine (id, agency_code, source_record_id, revision, kind, reason_code, reason, payload, received_at, released_at) VALUES " +
                     string.Join(", ", rows.Select(r => $"('{r.Item1}', {r.Item2}, {r.Item3}, 1, 'JudgmentDefaulterListed', 'minor', 'old', '{{}}', {r.Item4}, {r.Item5})"));
        await _target.ExecuteAsync(insert, insert);

        await _db.MigrateAsync(CancellationToken.None);

        Assert.That((await _db.QuarantineAsync(null, 10, CancellationToken.None)).Select(q => q.Id),
            Is.EquivalentTo(new[] { "q-first", "q-released", "q-anon-1", "q-anon-2", "q-other" }));
        await Apply(In(Listed(sourceId: "LA-OLD", uscc: "9134112215678901XD")));
        Assert.That(await RejectedQuarantineIds("LA-OLD"), Is.EqualTo(new[] { "q-first" }), "the record resent finds the row it waits in");
    }

    [Test]
    public async Task A_new_revision_supersedes_the_listing_and_a_late_old_revision_is_refused()
    {
        await Apply(In(Listed(revision: 1)));
        _time.Advance(TimeSpan.FromHours(1));
        await Apply(In(Listed(revision: 2, basis: "JD-5")));
        var late = await Apply(In(Listed(revision: 1, basis: "JD-3"), "late"));

        var listings = await _db.ListingsOfAsync(await SubjectId("uscc", CompanyUscc), CancellationToken.None);
        Assert.That(listings.Select(l => (l.LegalBasis, l.Status)), Is.EqualTo(new[] { ("JD-4", "superseded"), ("JD-5", "active") }));
        Assert.That(late, Is.EqualTo(new BatchOutcome(0, 1, 0)), "revision 1 was applied before: a duplicate");

        await Apply(In(Listed(revision: 4)));
        var stale = await Apply(In(Listed(revision: 3, basis: "JD-6"), "stale"));
        Assert.That(stale.Rejected, Is.EqualTo(1));
        Assert.That((await _db.QuarantineAsync(null, 10, CancellationToken.None)).Single().ReasonCode, Is.EqualTo(Rejection.StaleRevision));
    }

    [Test]
    public async Task Two_revisions_in_one_batch_leave_the_second_active_and_the_first_superseded()
    {
        var outcome = await Apply(In(Listed(revision: 1)), In(Listed(revision: 2, basis: "JD-5")));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(2, 0, 0)));
        var company = await _db.ListingsOfAsync(await SubjectId("uscc", CompanyUscc), CancellationToken.None);
        var person = await _db.ListingsOfAsync(await SubjectId("ric", RepRic), CancellationToken.None);
        Assert.That(company.Select(l => (l.SourceRevision, l.Status)), Is.EquivalentTo(new[] { (1, "superseded"), (2, "active") }));
        Assert.That(person.Select(l => (l.SourceRevision, l.Status)), Is.EquivalentTo(new[] { (1, "superseded"), (2, "active") }), "the imputed listing too");
        var first = company.Single(l => l.SourceRevision == 1);
        Assert.That((first.StatusReason, first.EndedOn), Is.EqualTo(("revision 2", (DateOnly?)new DateOnly(2026, 6, 11))));

        var events = await Outbox();
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "SubjectListed", "SubjectListed", "SubjectDelisted", "SubjectDelisted", "SubjectListed", "SubjectListed" }));
        Assert.That(events.Where(e => e.Type == "SubjectDelisted").Select(e => (e.Body.GetProperty("listingId").GetString(), e.Body.GetProperty("status").GetString())),
            Is.EqualTo(new[] { (first.Id, "superseded"), (person.Single(l => l.SourceRevision == 1).Id, "superseded") }));
        Assert.That(events.Take(2).Select(e => e.Body.GetProperty("legalBasis").GetString()), Is.All.EqualTo("JD-4"));
        Assert.That(events.Skip(4).Select(e => e.Body.GetProperty("legalBasis").GetString()), Is.All.EqualTo("JD-5"));
    }

    [Test]
    public async Task A_lower_revision_after_a_higher_one_in_one_batch_is_quarantined_as_stale()
    {
        var outcome = await Apply(In(Listed(revision: 2, basis: "JD-5")), In(Listed(revision: 1)));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(1, 0, 1)));
        var listing = (await _db.ListingsOfAsync(await SubjectId("uscc", CompanyUscc), CancellationToken.None)).Single();
        Assert.That((listing.SourceRevision, listing.Status), Is.EqualTo((2, "active")));
        var q = (await _db.QuarantineAsync(Court, 10, CancellationToken.None)).Single();
        Assert.That((q.ReasonCode, q.Revision, q.Reason), Is.EqualTo((Rejection.StaleRevision, (int?)1, "revision 1 arrived after revision 2 of the same record")));
    }

    [Test]
    public async Task A_record_with_only_the_legacy_code_and_a_later_one_with_the_uscc_are_one_subject()
    {
        await Apply(In(Listed(sourceId: "OLD", uscc: "", orgCode: "15678901-X")));
        await Apply(In(Listed(sourceId: "NEW")));

        var company = await SubjectId("org-code", CompanyOrgCode);
        Assert.That(await SubjectId("uscc", CompanyUscc), Is.EqualTo(company));
        Assert.That((await _db.ListingsOfAsync(company, CancellationToken.None)).Count, Is.EqualTo(2));
    }

    [Test]
    public async Task A_representative_known_only_by_name_is_the_same_person_in_the_next_notice()
    {
        await Apply(In(Listed(sourceId: "A", repRic: null, repName: "赵某")));
        _time.Advance(TimeSpan.FromDays(1));
        await Apply(In(Listed(sourceId: "B", repRic: null, repName: "赵 某")));
        _time.Advance(TimeSpan.FromDays(1));
        await Apply(In(Listed(sourceId: "C", repRic: null, repName: "钱某")));

        var company = await SubjectId("uscc", CompanyUscc);
        var relations = await _db.RelationsOfAsync(company, CancellationToken.None);
        Assert.That(relations, Has.Count.EqualTo(2), "赵某 once, then 钱某 replaces 赵某");
        Assert.That(relations[0].ValidTo, Is.EqualTo(new DateOnly(2026, 6, 11)), "the earlier representative's relation is closed");
        Assert.That(relations[1].ValidTo, Is.Null);
        var zhao = relations[0].PersonId;
        Assert.That((await _db.ListingsOfAsync(zhao, CancellationToken.None)).Count, Is.EqualTo(2));
    }

    [Test]
    public async Task A_representative_replaced_within_one_batch_leaves_one_open_relation()
    {
        await Apply(In(Listed(sourceId: "A", repRic: null, repName: "赵某", decided: new DateOnly(2026, 6, 1))),
                    In(Listed(sourceId: "B", repRic: null, repName: "钱某", decided: new DateOnly(2026, 6, 20))));
        await Apply(In(Listed(sourceId: "C", repRic: null, repName: "孙某", decided: new DateOnly(2026, 7, 1))),
                    In(Listed(sourceId: "D", repRic: null, repName: "李某", decided: new DateOnly(2026, 7, 9))));

        var relations = await _db.RelationsOfAsync(await SubjectId("uscc", CompanyUscc), CancellationToken.None);
        Assert.That(relations.Select(r => (r.ValidFrom, r.ValidTo)), Is.EqualTo(new (DateOnly, DateOnly?)[]
        {
            (new(2026, 6, 1), new DateOnly(2026, 6, 20)),   // replaced in the same batch
            (new(2026, 6, 20), new DateOnly(2026, 7, 1)),   // stored, replaced by the next batch
            (new(2026, 7, 1), new DateOnly(2026, 7, 9)),
            (new(2026, 7, 9), null),
        }));
    }

    [Test]
    public async Task A_bureau_publishing_as_a_court_is_quarantined_and_RecordRejected_goes_to_the_bureau_not_the_court()
    {
        await Apply(In(Listed(sourceId: "LA-1")));
        var outbefore = (await Outbox()).Count;
        var listingsBefore = await _db.CountListingsAsync(CancellationToken.None);

        // a new record in the court's name, and one the court did send: the ledger must not answer before the publisher check
        var outcome = await Apply(In(Listed(sourceId: "SPOOF-1"), "spoof-1", publisher: "FOOD-35"), In(Listed(sourceId: "LA-1"), "spoof-2", publisher: "FOOD-35"));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(0, 0, 2)));
        Assert.That(await _db.CountListingsAsync(CancellationToken.None), Is.EqualTo(listingsBefore), "nothing listed in the court's name");
        Assert.That((await _db.QuarantineAsync(Court, 10, CancellationToken.None)), Is.Empty, "nothing is filed under the court it pretended to be");
        var quarantined = (await _db.QuarantineAsync("FOOD-35", 10, CancellationToken.None)).OrderBy(q => q.MessageId).ToList();
        Assert.That(quarantined.Select(q => (q.ReasonCode, q.SourceRecordId)), Is.EqualTo(new[] { ("spoofed-source", "SPOOF-1"), ("spoofed-source", "LA-1") }));
        Assert.That(quarantined[0].Reason, Is.EqualTo("broker user 'food-35' publishes for FOOD-35, not for the source.agencyCode 'COURT-34-1122' the record names"));

        var rejected = (await Outbox()).Skip(outbefore).ToList();
        Assert.That(rejected.Select(e => e.Type), Is.EqualTo(new[] { "RecordRejected", "RecordRejected" }));
        Assert.That(rejected.Select(e => e.Body.GetProperty("agencyCode").GetString()), Is.All.EqualTo("FOOD-35"), "told to the real publisher only");
        Assert.That(rejected.Select(e => e.Body.GetProperty("quarantineId").GetString()), Is.EquivalentTo(quarantined.Select(q => q.Id)));
        Assert.That(rejected.Select(e => e.Body.GetProperty("reasonCode").GetString()), Is.All.EqualTo(Rejection.SpoofedSource));
    }

    [Test]
    public async Task A_record_whose_publisher_nobody_vouches_for_is_quarantined_and_nobody_is_told()
    {
        var outcome = await Apply(
            new Incoming("anon-1", Listed(sourceId: "ANON-1"), PublisherAgency: null, PublisherUser: "guest"),
            new Incoming("anon-2", Listed(sourceId: "ANON-2"), PublisherAgency: null));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(0, 0, 2)));
        Assert.That(await _db.CountListingsAsync(CancellationToken.None), Is.Zero);
        var quarantined = (await _db.QuarantineAsync(null, 10, CancellationToken.None)).OrderBy(q => q.MessageId).ToList();
        Assert.That(quarantined.Select(q => (q.ReasonCode, q.AgencyCode, q.SourceRecordId)),
            Is.EqualTo(new[] { ("spoofed-source", (string?)null, "ANON-1"), ("spoofed-source", (string?)null, "ANON-2") }));
        Assert.That(quarantined[0].Reason, Is.EqualTo("broker user 'guest' is no registered agency's; the record names source.agencyCode 'COURT-34-1122'"));
        Assert.That(quarantined[1].Reason, Is.EqualTo("the message names no publisher (no AMQP user_id); the record names source.agencyCode 'COURT-34-1122'"));
        Assert.That(await Outbox(), Is.Empty, "no RecordRejected: there is no publisher to tell, and never the court the record names");
    }

    [Test]
    public async Task A_claimed_agency_code_is_never_echoed_as_an_ID_number()
    {
        var listed = Listed(sourceId: "SPOOF-ID") with { Source = new() { AgencyCode = RepRic, SourceRecordId = "SPOOF-ID" } };

        await Apply(In(listed, publisher: "FOOD-35"));

        var q = (await _db.QuarantineAsync("FOOD-35", 10, CancellationToken.None)).Single();
        Assert.That(q.Reason, Does.Not.Contain(RepRic).And.Contain("3411221978****361X"));
    }

    [Test]
    public async Task Records_with_missing_parts_are_quarantined_not_thrown()
    {
        var noSource = Listed() with { Source = null! };
        var noSubject = Listed(sourceId: "X-1") with { Subject = null! };
        var noRep = Listed(sourceId: "X-2") with { LegalRepresentative = null };
        var noBasis = Listed(sourceId: "X-3") with { LegalBasis = null! };
        var removalNoTarget = Removed(sourceId: "X-4") with { ListingSourceRecordId = null! };

        var outcome = await Apply(In(noSource, publisher: Court), In(noSubject), In(noRep), In(noBasis), In(removalNoTarget));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(1, 0, 4)), "a company without a representative is a valid listing");
        var reasons = (await _db.QuarantineAsync(null, 10, CancellationToken.None)).Select(q => $"{q.ReasonCode}: {q.Reason}");
        Assert.That(reasons, Is.EquivalentTo(new[]
        {
            "missing-field: source.agencyCode is missing", "missing-field: subject is missing",
            "missing-field: legalBasis is missing", "missing-field: listingSourceRecordId is missing",
        }));
    }

    [Test]
    public async Task Text_the_database_cannot_store_is_quarantined_and_the_rest_of_the_batch_applies()
    {
        // PostgreSQL refuses U+0000 in text: before the guard, one such record failed its whole batch on every retry
        var nulInCase = Listed(sourceId: "NUL-1") with { CaseNumber = "(2026)皖1122执\u00001194号" };
        var loneSurrogate = Listed(sourceId: "SUR-1", uscc: TestIdentifiers.Uscc(7)) with
        {
            Subject = Listed().Subject! with { Name = "安徽\ud800建设", Uscc = TestIdentifiers.Uscc(7) },
        };
        var nulInSourceId = Listed(sourceId: "KEY\u0000-1", uscc: TestIdentifiers.Uscc(8));
        // longer than a PostgreSQL index entry may be, and random so that compression cannot shrink it
        var hugeSourceId = Listed(sourceId: "LONG-" + string.Concat(Enumerable.Range(0, 400).Select(i => Guid.NewGuid().ToString("N"))), uscc: TestIdentifiers.Uscc(9));

        var outcome = await Apply(In(Listed(sourceId: "OK-1")), In(nulInCase), In(loneSurrogate), In(nulInSourceId), In(hugeSourceId));

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(1, 0, 4)));
        var quarantined = await _db.QuarantineAsync(null, 10, CancellationToken.None);
        Assert.That(quarantined.Select(q => (q.SourceRecordId, q.ReasonCode, q.Reason)), Is.EquivalentTo(new[]
        {
            ("NUL-1", Rejection.InvalidText, "caseNumber holds a NUL character (U+0000) at position 13, which cannot be stored"),
            ("SUR-1", Rejection.InvalidText, "subject.name holds an unpaired surrogate at position 3, which cannot be stored"),
            ("KEY\uFFFD-1", Rejection.InvalidText, "source.sourceRecordId holds a NUL character (U+0000) at position 4, which cannot be stored"),
            (hugeSourceId.Source.SourceRecordId[..199] + "…", Rejection.InvalidText, "source.sourceRecordId is 12,805 characters long; a key may have at most 200"),
        }));
        Assert.That(quarantined.Single(q => q.SourceRecordId == "NUL-1").Payload, Does.Contain("\\u0000"), "the record is kept whole, escaped");
        Assert.That((await Outbox()).Count(e => e.Type == "RecordRejected"), Is.EqualTo(4));
        Assert.That(await _db.CountListingsAsync(CancellationToken.None), Is.EqualTo(1));
    }

    /// <summary>A trigger that makes the database refuse listings whose reference matches, the way a constraint no
    /// rule of the Hub's foresaw would.</summary>
    private Task RefuseListingsLike(string pattern) => _target.ExecuteAsync(
        $"CREATE TRIGGER refuse BEFORE INSERT ON listings WHEN NEW.reference LIKE '{pattern}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        $"""
        CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.reference LIKE '{pattern}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER refuse BEFORE INSERT ON listings FOR EACH ROW EXECUTE FUNCTION refuse();
        """);

    [Test]
    public async Task A_record_that_fails_its_batch_for_an_unforeseen_reason_is_quarantined_alone_and_the_rest_applies()
    {
        await RefuseListingsLike("%POISON%");
        var batch = Enumerable.Range(1, 7).Select(i => In(Listed(sourceId: $"SPLIT-{i}", uscc: TestIdentifiers.Uscc(i)) with
        {
            CaseNumber = i is 3 or 6 ? $"(2026)POISON{i}" : $"(2026)皖1122执{i}号",
            LegalRepresentative = null,
        })).ToArray();

        var outcome = await Apply(batch);

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(5, 0, 2)));
        var quarantined = await _db.QuarantineAsync(null, 10, CancellationToken.None);
        Assert.That(quarantined.Select(q => (q.SourceRecordId, q.ReasonCode)), Is.EquivalentTo(new[]
        {
            ("SPLIT-3", Rejection.ApplyFailed), ("SPLIT-6", Rejection.ApplyFailed),
        }));
        Assert.That(quarantined[0].Reason, Does.StartWith("the Hub could not apply this record: the database refused it").And.Contain("refused by the test"));
        Assert.That(await _db.CountListingsAsync(CancellationToken.None), Is.EqualTo(5));
        var events = await Outbox();
        Assert.That(events.Count(e => e.Type == "RecordRejected"), Is.EqualTo(2));
        Assert.That(events.Count(e => e.Type == "SubjectListed"), Is.EqualTo(5));

        Assert.That(await Apply(batch), Is.EqualTo(new BatchOutcome(0, 7, 0)), "delivered again: nothing applied or quarantined twice");
    }

    [Test]
    public async Task A_record_that_fails_alone_again_when_its_file_is_resent_keeps_its_quarantine_row()
    {
        await RefuseListingsLike("%POISON%");
        Incoming[] File() => Enumerable.Range(1, 3).Select(i => In(Listed(sourceId: $"AGAIN-{i}", uscc: TestIdentifiers.Uscc(i)) with
        {
            CaseNumber = i == 2 ? "(2026)POISON2" : $"(2026)皖1122执{i}号",
            LegalRepresentative = null,
        })).ToArray();

        Assert.That(await Apply(File()), Is.EqualTo(new BatchOutcome(2, 0, 1)));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.That(await Apply(File()), Is.EqualTo(new BatchOutcome(0, 2, 1)), "the same file as new messages");

        var q = (await QuarantineOf("AGAIN-2")).Single();
        Assert.That(q.ReasonCode, Is.EqualTo(Rejection.ApplyFailed));
        Assert.That(await RejectedQuarantineIds("AGAIN-2"), Is.EqualTo(new[] { q.Id, q.Id }));
    }

    [Test]
    public async Task When_every_record_of_a_batch_fails_the_fault_is_not_the_records_and_the_batch_fails_whole()
    {
        await RefuseListingsLike("%");
        var batch = Enumerable.Range(1, 4).Select(i => In(Listed(sourceId: $"ALL-{i}", uscc: TestIdentifiers.Uscc(i)))).ToArray();

        Assert.That(() => Apply(batch), Throws.InstanceOf<System.Data.Common.DbException>().With.Message.Contain("refused by the test"));

        Assert.That(await _db.QuarantineAsync(null, 10, CancellationToken.None), Is.Empty, "nothing blamed on the records");
        Assert.That(await _db.CountListingsAsync(CancellationToken.None), Is.Zero);
        Assert.That(await Outbox(), Is.Empty);
    }

    [Test]
    public async Task When_more_than_a_few_records_fail_alone_the_batch_fails_whole_and_nothing_is_quarantined()
    {
        await RefuseListingsLike("%POISON%");
        var batch = Enumerable.Range(1, 20).Select(i => In(Listed(sourceId: $"MANY-{i}", uscc: TestIdentifiers.Uscc(i)) with
        {
            CaseNumber = i > 2 ? $"(2026)POISON{i}" : $"(2026)皖1122执{i}号",
        })).ToArray();

        Assert.That(() => Apply(batch), Throws.InstanceOf<System.Data.Common.DbException>());

        Assert.That(await _db.QuarantineAsync(null, 100, CancellationToken.None), Is.Empty,
            $"{RecordApplier.MaxIsolated} records failing alone is a broken Hub or database: the batch goes to the error queue");
    }

    [Test]
    public async Task A_large_batch_is_written_in_chunks_in_one_transaction()
    {
        var batch = Enumerable.Range(1, 1_200).Select(i => In(Listed(sourceId: $"BULK-{i}", uscc: TestIdentifiers.Uscc(i), repRic: null, repName: $"法人{i}"))).ToArray();

        var outcome = await Apply(batch);

        Assert.That(outcome, Is.EqualTo(new BatchOutcome(1_200, 0, 0)));
        Assert.That(await _db.CountListingsAsync(CancellationToken.None), Is.EqualTo(1_200));
        Assert.That((await _db.PendingOutboxAsync(10_000, CancellationToken.None)).Count, Is.EqualTo(2_400));
    }
}
