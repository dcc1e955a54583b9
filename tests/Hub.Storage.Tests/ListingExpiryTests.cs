using System.Text.Json;
using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Aggregator.Lifecycle;
using Hub.Aggregator.Outbox;
using Hub.Domain.Lifecycle;
using Hub.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>Listings whose term ran out end without anyone acting, once, whichever and however many Hub processes sweep.</summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class ListingExpiryTests<TTarget> where TTarget : IIndexTarget, new()
{
    /// <summary>A listing decided on 11 June 2024 under JD-4 (24 months) is in force through 10 June 2026, Beijing time.</summary>
    private static readonly DateOnly Decided = new(2024, 6, 11);
    private static readonly DateOnly LastDay = new(2026, 6, 10);
    private static readonly DateOnly FirstDayOff = new(2026, 6, 11);

    /// <summary>One second before midnight in Beijing on the last day of the term.</summary>
    private static readonly DateTimeOffset LastSecond = new(2026, 6, 10, 15, 59, 59, TimeSpan.Zero);

    private TTarget _target = default!;
    private FakeTimeProvider _time = default!;
    private IndexDatabase _db = default!;

    [SetUp]
    public async Task SetUp()
    {
        _target = new TTarget();
        _time = new FakeTimeProvider(LastSecond);
        _db = await _target.CreateAsync(_time);
        await _db.MigrateAsync(CancellationToken.None);
    }

    [TearDown]
    public async Task TearDown() => await _target.DisposeAsync();

    private ListingExpiry Expiry(string holder, int batchSize = 500) =>
        new(_db, _time, new OutboxSignal(), new BatchAuditSink(), new HubInstance(holder), NullLogger<ListingExpiry>.Instance,
            Microsoft.Extensions.Options.Options.Create(new AggregatorOptions { ExpiryBatchSize = batchSize }));

    private async Task Apply(params Incoming[] batch)
    {
        await Applier(_db, _time, new AggregatorMetrics()).ApplyAsync(batch, CancellationToken.None);
        // what listing them said is out of the way: the outbox holds only what expiry adds
        await _db.MarkPublishedAsync((await _db.PendingOutboxAsync(10_000, CancellationToken.None)).Select(r => r.Id).ToList(), CancellationToken.None);
    }

    private async Task<List<ListingRow>> Listings()
    {
        var company = await _db.FindSubjectIdAsync("uscc", CompanyUscc, CancellationToken.None);
        var person = await _db.FindSubjectIdAsync("ric", RepRic, CancellationToken.None);
        return [.. await _db.ListingsOfAsync(company!, CancellationToken.None), .. await _db.ListingsOfAsync(person!, CancellationToken.None)];
    }

    private async Task<List<(OutboxRow Row, JsonElement Body)>> Delisted() =>
        (await _db.PendingOutboxAsync(10_000, CancellationToken.None))
        .Select(r => (r, JsonDocument.Parse(r.Payload).RootElement))
        .Where(e => e.r.MessageType == "SubjectDelisted").ToList();

    [Test]
    public async Task A_term_ending_10_June_ends_at_midnight_in_Beijing_with_the_imputed_listing_each_with_its_own_event()
    {
        await Apply(In(Listed(decided: Decided)));
        var expiry = Expiry("hub-a");

        Assert.That(await expiry.SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(true, 0)), "10 June is still its last day in Beijing");
        Assert.That((await Listings()).Select(l => l.Status), Is.All.EqualTo("active"));
        Assert.That(await Delisted(), Is.Empty);

        _time.Advance(TimeSpan.FromSeconds(1));     // 2026-06-10T16:00:00Z, midnight in Beijing

        Assert.That(await expiry.SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(true, 2)));
        var listings = await Listings();
        var own = listings.Single(l => l.ParentListingId is null);
        var imputed = listings.Single(l => l.ParentListingId is not null);
        Assert.That(imputed.ParentListingId, Is.EqualTo(own.Id));
        foreach (var l in listings)
        {
            Assert.That((l.Status, l.StatusReason, l.EndedOn, l.SupersededAt), Is.EqualTo(("expired", "expired", (DateOnly?)FirstDayOff, (DateTimeOffset?)_time.GetUtcNow())));
            Assert.That(ListingClock.StateOn(l.Status, l.ValidFrom, l.ValidUntil, FirstDayOff), Is.EqualTo(new ListingState("expired", false)),
                "the API reads the stored status as it read the clock before the sweep");
        }

        var events = await Delisted();
        Assert.That(events.Select(e => e.Body.GetProperty("listingId").GetString()), Is.EquivalentTo(new[] { own.Id, imputed.Id }), "one event per listing");
        foreach (var (row, body) in events)
        {
            var listing = listings.Single(l => l.Id == body.GetProperty("listingId").GetString());
            Assert.Multiple(() =>
            {
                Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("expired"));
                Assert.That(body.GetProperty("reason").GetString(), Is.EqualTo("expired"));
                Assert.That(body.GetProperty("effectiveDate").GetString(), Is.EqualTo("2026-06-11"), "the first day no longer listed");
                Assert.That(body.GetProperty("hubSubjectId").GetString(), Is.EqualTo(listing.SubjectId));
                Assert.That(row.OrderingKey, Is.EqualTo(listing.SubjectId), "in line with every other event about the subject");
            });
        }

        var audit = (await _db.AuditLatestAsync(100, CancellationToken.None)).Where(a => a.Action == "listing.expire").ToList();
        Assert.That(audit.Select(a => (a.Principal, a.Channel, a.Outcome, a.SubjectId)),
            Is.EquivalentTo(listings.Select(l => ("hub", "host", "expired", (string?)l.SubjectId))));
        Assert.That((await _db.VerifyAuditAsync(CancellationToken.None)).Problem, Is.Null);
    }

    [Test]
    public async Task A_listing_until_performed_never_expires()
    {
        await Apply(In(Listed(basis: "JD-1", decided: Decided)));
        Assert.That((await Listings()).Select(l => l.ValidUntil), Is.All.Null, "precondition: JD-1 lists until performed");

        _time.SetUtcNow(new DateTimeOffset(2199, 12, 31, 16, 0, 0, TimeSpan.Zero));

        Assert.That(await Expiry("hub-a").SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(true, 0)));
        Assert.That((await Listings()).Select(l => l.Status), Is.All.EqualTo("active"));
        Assert.That(await Delisted(), Is.Empty);
    }

    [Test]
    public async Task A_second_sweep_and_a_sweep_by_another_or_a_restarted_process_publish_nothing_more()
    {
        await Apply(In(Listed(decided: Decided)), In(Listed(sourceId: "LA-2", basis: "JD-1", decided: Decided)));
        _time.SetUtcNow(LastSecond.AddSeconds(1));
        Assert.That(await Expiry("hub-a").SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(true, 2)));

        Assert.That(await Expiry("hub-a").SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(true, 0)), "the same holder, once more");
        _time.Advance(TimeSpan.FromMinutes(3));     // the first holder's lease lapsed: a restarted process, or another one, takes it
        Assert.That(await Expiry("hub-b").SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(true, 0)));

        Assert.That(await Delisted(), Has.Count.EqualTo(2));
        Assert.That((await Listings()).Count(l => l.Status == "active"), Is.EqualTo(2), "the listing until performed and its imputed one stay");
    }

    [Test]
    public async Task While_one_process_holds_the_lease_another_sweeps_nothing_and_takes_over_once_it_lapses()
    {
        await Apply(In(Listed(decided: Decided)));
        var (a, b) = (Expiry("hub-a"), Expiry("hub-b"));
        Assert.That(await a.SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(true, 0)), "a takes the lease, for 2 minutes");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.That(await b.SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(false, 0)));
        Assert.That((await Listings()).Select(l => l.Status), Is.All.EqualTo("active"), "b did nothing while a holds the lease");

        _time.Advance(TimeSpan.FromMinutes(2));     // a stopped sweeping (died): its lease lapsed at 16:01:59

        Assert.That(await b.SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(true, 2)));
        Assert.That(await a.SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(false, 0)), "a, back, finds the lease b's");
        Assert.That(await Delisted(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_process_that_gives_the_lease_up_lets_another_take_it_at_once()
    {
        await Apply(In(Listed(decided: Decided)));
        var (a, b) = (Expiry("hub-a"), Expiry("hub-b"));
        await a.SweepAsync(CancellationToken.None);
        await a.ReleaseAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.That(await b.SweepAsync(CancellationToken.None), Is.EqualTo(new ExpirySweep(true, 2)));
    }

    /// <param name="sameHolder">True: both sweeps renew the one lease (as when a lease lapsed while its holder paused and
    /// both went on), so only the locked rows keep them apart. False: two processes, the lease keeps them apart.</param>
    [Test]
    public async Task Two_processes_sweeping_at_once_end_each_listing_once_with_one_event_each([Values] bool sameHolder)
    {
        await Apply(Enumerable.Range(1, 60).Select(i => In(Listed(sourceId: $"LA-{i}", decided: Decided))).ToArray());
        _time.SetUtcNow(LastSecond.AddSeconds(1));
        var (a, b) = (Expiry("hub-a", batchSize: 7), Expiry(sameHolder ? "hub-a" : "hub-b", batchSize: 7));

        var sweeps = await Task.WhenAll(a.SweepAsync(CancellationToken.None), b.SweepAsync(CancellationToken.None));

        var listings = await Listings();
        Assert.That(listings, Has.Count.EqualTo(120), "precondition: 60 listings and their 60 imputed ones");
        Assert.That(listings.Select(l => l.Status), Is.All.EqualTo("expired"));
        Assert.That(sweeps.Sum(s => s.Expired), Is.EqualTo(120), "each listing ended by one sweep");
        var events = await Delisted();
        Assert.That(events.Select(e => e.Body.GetProperty("listingId").GetString()), Is.EquivalentTo(listings.Select(l => l.Id)), "one event per listing");
    }
}
