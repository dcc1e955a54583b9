using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Storage.Audit;
using Hub.Testing;
using Microsoft.Extensions.Time.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>The audit log's hash chain on each dialect: appends from several writers, tampering found at the entry touched,
/// and the aggregator's entries written with the batch they describe.</summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class AuditLogTests<TTarget> : IndexFixture<TTarget> where TTarget : IIndexTarget, new()
{
    private AuditEntry Entry(string action, string? subject = null, string principal = "FOOD-35") =>
        new(Time.GetUtcNow(), principal, principal.Contains(':', StringComparison.Ordinal) ? null : principal, action, "subjects:read", subject,
            "disclosed", "by uscc 9134112215678901XC; 1 listings", "http");

    /// <summary>A mixed run: HTTP-door entries in transactions of their own, concurrently, and aggregator batches.</summary>
    private async Task MixedRunAsync()
    {
        await ApplyStep.ApplyAsync([In(Listed()), In(Listed(sourceId: "LA-2", uscc: TestIdentifiers.Uscc(5), repRic: null, repName: "李四"))], CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
        {
            Time.Advance(TimeSpan.FromMilliseconds(1.2345));
            return Db.AppendAuditAsync([Entry("subjects.lookup", "S" + i), Entry("subjects.lookup", "S" + i, "operator:ann")], CancellationToken.None);
        }));
        await ApplyStep.ApplyAsync([In(Removed()), In(Listed(sourceId: "LA-3", basis: "NO-SUCH"))], CancellationToken.None);
    }

    [Test]
    public async Task The_chain_verifies_after_a_mixed_run_and_holds_every_entry_in_order()
    {
        await MixedRunAsync();

        var result = await Db.VerifyAuditAsync(CancellationToken.None);
        Assert.That(result.Intact, Is.True, result.Problem);
        // 2 listings + 16 lookups + a removal and a quarantined record
        Assert.That(result.Entries, Is.EqualTo(20));
        Assert.That(result.HeadSeq, Is.EqualTo(20));
        var latest = await Db.AuditLatestAsync(100, CancellationToken.None);
        Assert.That(latest.Select(r => r.Seq), Is.EqualTo(Enumerable.Range(1, 20).Reverse().Select(i => (long)i)));
    }

    [Test]
    public async Task An_edited_entry_is_found_at_that_entry()
    {
        await MixedRunAsync();
        await Target.ExecuteAsync("UPDATE audit_log SET principal = 'MARKET-33' WHERE seq = 7", "UPDATE audit_log SET principal = 'MARKET-33' WHERE seq = 7");

        var result = await Db.VerifyAuditAsync(CancellationToken.None);
        Assert.That(result.FirstBrokenSeq, Is.EqualTo(7));
        Assert.That(result.Problem, Does.Contain("entry 7 was changed"));
        Assert.That(result.Entries, Is.EqualTo(6), "the entries before it verify");
    }

    [Test]
    public async Task An_entry_rewritten_with_a_fresh_hash_breaks_the_link_of_the_next()
    {
        await MixedRunAsync();
        var seven = (await Db.AuditLatestAsync(100, CancellationToken.None)).Single(r => r.Seq == 7);
        seven.Outcome = "not-found";
        var forged = AuditChain.HashOf(seven);
        await Target.ExecuteAsync($"UPDATE audit_log SET outcome = 'not-found', hash = '{forged}' WHERE seq = 7",
            $"UPDATE audit_log SET outcome = 'not-found', hash = '{forged}' WHERE seq = 7");

        var result = await Db.VerifyAuditAsync(CancellationToken.None);
        Assert.That(result.FirstBrokenSeq, Is.EqualTo(8));
        Assert.That(result.Problem, Does.Contain("does not link to entry 7"));
    }

    [Test]
    public async Task A_deleted_entry_is_named()
    {
        await MixedRunAsync();
        await Target.ExecuteAsync("DELETE FROM audit_log WHERE seq = 12", "DELETE FROM audit_log WHERE seq = 12");

        var result = await Db.VerifyAuditAsync(CancellationToken.None);
        Assert.That(result.FirstBrokenSeq, Is.EqualTo(13));
        Assert.That(result.Problem, Does.Contain("entry 12 is missing: entry 13 follows entry 11"));
    }

    [Test]
    public async Task Entries_cut_from_the_end_are_found_against_an_anchor_noted_earlier()
    {
        await MixedRunAsync();
        var anchor = await Db.VerifyAuditAsync(CancellationToken.None);
        Assert.That(anchor.Intact, Is.True);
        await Target.ExecuteAsync("DELETE FROM audit_log WHERE seq >= 18", "DELETE FROM audit_log WHERE seq >= 18");

        Assert.That((await Db.VerifyAuditAsync(CancellationToken.None)).Intact, Is.True, "the chain alone cannot show a cut end");
        var result = await Db.VerifyAuditAsync(CancellationToken.None, anchor.HeadSeq, anchor.HeadHash);
        Assert.That(result.FirstBrokenSeq, Is.EqualTo(20));
        Assert.That(result.Problem, Is.EqualTo("entry 20, noted outside the Hub, is missing: the chain ends at entry 17 (entries were removed from its end)"));
    }

    [Test]
    public async Task An_entry_quoting_what_a_caller_sent_is_stored_whatever_it_holds()
    {
        var hostile = "route COURT-\0-1 \uD800 " + new string('长', 997) + "\U00020000 and more";
        await Db.AppendAuditAsync([Entry("GET /api/x") with { Detail = hostile }, Entry("GET /api/y")], CancellationToken.None);

        var rows = (await Db.AuditLatestAsync(10, CancellationToken.None)).OrderBy(r => r.Seq).ToList();
        Assert.That(rows, Has.Count.EqualTo(2));
        Assert.That(rows[0].Detail, Does.StartWith("route COURT-\uFFFD-1 \uFFFD "));
        Assert.That(rows[0].Detail, Has.Length.LessThanOrEqualTo(AuditChain.MaxDetail + 1).And.EndsWith("…"));
        Assert.That(char.IsHighSurrogate(rows[0].Detail![^2]), Is.False, "a cut never splits a surrogate pair");
        Assert.That((await Db.VerifyAuditAsync(CancellationToken.None)).Intact, Is.True);
    }

    [Test]
    public async Task The_aggregator_records_each_record_of_a_batch_with_its_subject_and_outcome()
    {
        await ApplyStep.ApplyAsync([In(Listed()), In(Listed()), In(Listed(sourceId: "LA-9", basis: "NO-SUCH"))], CancellationToken.None);

        var company = await Db.FindSubjectIdAsync("uscc", CompanyUscc, CancellationToken.None);
        var rows = (await Db.AuditLatestAsync(100, CancellationToken.None)).OrderBy(r => r.Seq).ToList();
        Assert.That(rows.Select(r => (r.Action, r.Outcome, r.Channel, r.Principal)), Is.EquivalentTo(new[]
        {
            ("record.apply", "duplicate", "bus", Court),
            ("record.apply", "quarantined:unknown-basis", "bus", Court),
            ("record.apply", "applied", "bus", Court),
        }));
        Assert.That(rows.Single(r => r.Outcome == "applied").SubjectId, Is.EqualTo(company));
        Assert.That(rows.Single(r => r.Outcome == "applied").Detail, Does.Contain("JudgmentDefaulterListed COURT-34-1122/LA-1194 revision 1"));
        Assert.That((await Db.AuditOfSubjectAsync(company!, 10, CancellationToken.None)).Select(r => r.Outcome), Is.EqualTo(new[] { "applied" }));
    }

    [Test]
    public async Task A_spoofed_record_goes_on_record_as_its_real_publisher_and_one_nobody_vouches_for_as_unknown()
    {
        await ApplyStep.ApplyAsync([In(Listed(sourceId: "SPOOF-1"), publisher: "FOOD-35"), new Incoming("anon", Listed(sourceId: "ANON-1"), PublisherAgency: null)],
            CancellationToken.None);

        var rows = (await Db.AuditLatestAsync(100, CancellationToken.None)).OrderBy(r => r.Seq).ToList();
        Assert.That(rows.Select(r => (r.Outcome, r.Principal, r.AgencyCode)), Is.EqualTo(new[]
        {
            ("quarantined:spoofed-source", "FOOD-35", (string?)"FOOD-35"),
            ("quarantined:spoofed-source", "unknown", null),
        }));
        Assert.That(rows[0].Detail, Does.Contain("JudgmentDefaulterListed COURT-34-1122/SPOOF-1"), "the detail keeps the code the record claimed");
    }
}
