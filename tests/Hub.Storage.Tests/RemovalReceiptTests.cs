using Hub.Aggregator;
using Hub.Aggregator.Outbox;
using Hub.Contracts;
using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Domain.Lifecycle;
using Hub.Domain.Subscriptions;
using Hub.Storage.Audit;
using Hub.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>
/// Removal receipts: once the relay has published the end of a listing (the publisher took it), every subscriber that
/// received the listing owes a receipt, due by the end of the 3rd working day after the day of publication in Beijing;
/// acknowledged in time it is done, acknowledged late or not at all it is overdue.
/// </summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class RemovalReceiptTests<TTarget> : IndexFixture<TTarget> where TTarget : IIndexTarget, new()
{
    private const string Market = "MARKET-33";
    private const string EndsOnly = "MARKET-35";
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);
    private static readonly DateTimeOffset Friday = new(2026, 11, 27, 10, 0, 0, Beijing);

    private Publisher _publisher = default!;
    private OutboxRelay _relay = default!;

    [SetUp]
    public void CreateRelay() => _relay = Relay(WorkingDays.Embedded());

    [TearDown]
    public void DisposeRelay() => _relay.Dispose();

    /// <summary>The relay with the subscriptions a deployment might have: a market regulator receiving every list it may
    /// (the court's among them), a food-safety bureau receiving its own list, and a market regulator receiving the ends of
    /// court listings but not the listings — it never applied one, so it owes nothing.</summary>
    private OutboxRelay Relay(WorkingDays calendar)
    {
        var agencies = AgencyRegistry.Embedded();
        var bases = LegalBasisCatalogue.Embedded();
        var access = AccessPolicy.Embedded(agencies);
        var rules = new SubscriptionRules(agencies, access, bases, JointSanctionsCatalogue.Embedded(bases, access.AgencyKinds));
        var subscriptions = new[]
        {
            new Subscription { Agency = Market },
            new Subscription { Agency = FoodBureau, Filter = new SubscriptionFilter { ListTypes = ["food-safety-serious"] } },
            new Subscription { Agency = EndsOnly, Filter = new SubscriptionFilter { EventKinds = ["delisted", "expired"], ListTypes = ["judgment-defaulter"] } },
        }.Select(s => rules.Resolve(s, requireHttps: true).Value ?? throw new InvalidOperationException(s.Agency)).ToList();
        _publisher = new Publisher();
        return new OutboxRelay(Db, _publisher, new OutboxSignal(), Options.Create(new AggregatorOptions()), Metrics, NullLogger<OutboxRelay>.Instance,
            new RemovalReceipts(new Fixed(subscriptions), agencies, calendar, Time));
    }

    /// <summary>The court lists the company (and its legal representative) an hour before <paramref name="at"/> and removes
    /// the listing at <paramref name="at"/>; the relay publishes each right away.</summary>
    private async Task ListThenRemoveAt(DateTimeOffset at)
    {
        Time.SetUtcNow(at.AddHours(-1).ToUniversalTime());
        await ApplyStep.ApplyAsync([In(Listed())], CancellationToken.None);
        await Publish();
        Time.SetUtcNow(at.ToUniversalTime());
        await ApplyStep.ApplyAsync([In(Removed())], CancellationToken.None);
        await Publish();
    }

    private Task<int> Publish() => _relay.PublishPendingAsync(1_000, CancellationToken.None);

    private async Task<IReadOnlyList<RemovalReceiptRow>> Pending(string? agency = null) =>
        (await Db.RemovalReceiptsAsync(false, agency, 100, CancellationToken.None)).Receipts;

    private async Task<IReadOnlyList<RemovalReceiptRow>> Overdue(string? agency = null) =>
        (await Db.RemovalReceiptsAsync(true, agency, 100, CancellationToken.None)).Receipts;

    private async Task<ReceiptAcknowledgement> Acknowledge(string agency, params string[] listingIds) =>
        await Db.AcknowledgeReceiptsAsync(agency, listingIds, r =>
            [new AuditEntry(Time.GetUtcNow(), agency, agency, "receipts.acknowledge", Scopes.Subscribe, null, "acknowledged", $"{r.NewlyAcknowledged.Count} now", "http")],
            CancellationToken.None);

    [Test]
    public async Task When_a_removal_is_published_on_a_Friday_Should_be_due_from_its_subscribers_by_the_end_of_the_next_Wednesday()
    {
        await ListThenRemoveAt(Friday);

        var receipts = await Pending();
        var ends = _publisher.Ends;
        Assert.That(ends, Has.Count.EqualTo(2), "the company's listing and the one imputed to its legal representative");
        Assert.That(receipts.Select(r => (r.AgencyCode, r.ListingId, r.EventId, r.SubjectId, r.Status)),
            Is.EquivalentTo(ends.Select(e => (Market, e.ListingId, e.EventId, e.HubSubjectId, "removed"))),
            "the market regulator received both listings; the food-safety bureau received neither, the regulator of ends alone never applied them");
        Assert.That(receipts.Select(r => r.PublishedAt).Distinct(), Is.EqualTo(new[] { Friday }));
        Assert.That(receipts.Select(r => r.Deadline).Distinct(), Is.EqualTo(new[] { new DateTimeOffset(2026, 12, 3, 0, 0, 0, Beijing) }),
            "Monday, Tuesday, Wednesday: due by midnight in Beijing at the end of Wednesday");
        Assert.That(receipts.Select(r => r.AcknowledgedAt), Has.All.Null);
    }

    [Test]
    public async Task An_unacknowledged_removal_is_overdue_after_3_working_days_across_a_weekend()
    {
        await ListThenRemoveAt(Friday);

        Time.SetUtcNow(new DateTimeOffset(2026, 12, 2, 23, 59, 0, Beijing).ToUniversalTime());
        Assert.That(await Overdue(), Is.Empty, "Wednesday night: the 3rd working day is not over");
        Assert.That(await Pending(), Has.Count.EqualTo(2));

        Time.SetUtcNow(new DateTimeOffset(2026, 12, 3, 0, 1, 0, Beijing).ToUniversalTime());
        var (agencies, overdue) = await Db.RemovalReceiptsAsync(true, null, 100, CancellationToken.None);
        Assert.That(overdue.Select(r => (r.AgencyCode, r.AcknowledgedAt)), Is.EqualTo(new[] { (Market, (DateTimeOffset?)null), (Market, null) }));
        Assert.That(agencies.Select(a => (a.AgencyCode, a.Receipts, a.EarliestDeadline)),
            Is.EqualTo(new[] { (Market, 2L, new DateTimeOffset(2026, 12, 3, 0, 0, 0, Beijing)) }));
    }

    [Test]
    public async Task When_a_public_holiday_follows_the_publication_Should_not_count_it()
    {
        // the calendar is data: New Year's Day 2027 (Friday 1 January), a statutory holiday, in a calendar for the coming year
        var calendar = WorkingDays.Load("""
            { "version": "test-2027", "weekend": ["Saturday", "Sunday"], "holidays": [ { "name": "元旦", "from": "2027-01-01" } ], "workingWeekends": [] }
            """);
        _relay.Dispose();
        _relay = Relay(calendar);

        // published on Thursday 31 December: Friday is the holiday, then the weekend; Monday, Tuesday, Wednesday
        await ListThenRemoveAt(new DateTimeOffset(2026, 12, 31, 15, 0, 0, Beijing));

        Assert.That((await Pending()).Select(r => r.Deadline).Distinct(), Is.EqualTo(new[] { new DateTimeOffset(2027, 1, 7, 0, 0, 0, Beijing) }));
    }

    [Test]
    public async Task A_receipt_acknowledged_in_time_is_not_overdue_and_acknowledging_again_keeps_its_first_time()
    {
        await ListThenRemoveAt(Friday);
        var listings = (await Pending()).Select(r => r.ListingId).ToArray();
        Time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 9, 0, 0, Beijing).ToUniversalTime());
        var tuesday = Time.GetUtcNow();

        var first = await Acknowledge(Market, [.. listings, "0190aaaabbbbccccddddeeeeffff0000"]);

        Assert.That(first.NewlyAcknowledged, Is.EquivalentTo(listings));
        Assert.That(first.Receipts.Select(r => (r.ListingId, r.AcknowledgedAt)), Is.EquivalentTo(listings.Select(l => (l, (DateTimeOffset?)tuesday))),
            "a listing the agency owes no receipt for is not among them");
        Time.Advance(TimeSpan.FromDays(1));
        var again = await Acknowledge(Market, listings[0]);
        Assert.That(again.NewlyAcknowledged, Is.Empty);
        Assert.That(again.Receipts.Single().AcknowledgedAt, Is.EqualTo(tuesday), "idempotent: the first acknowledgement counts");
        Assert.That((await Acknowledge(FoodBureau, listings)).Receipts, Is.Empty, "another agency owes none of them");

        Time.SetUtcNow(new DateTimeOffset(2026, 12, 10, 0, 0, 0, Beijing).ToUniversalTime());
        Assert.That(await Overdue(), Is.Empty);
        Assert.That(await Pending(), Is.Empty);
        Assert.That((await Db.AuditLatestAsync(10, CancellationToken.None)).Count(a => a.Action == "receipts.acknowledge"), Is.EqualTo(3),
            "each acknowledgement is on the audit log, in its transaction");
    }

    [Test]
    public async Task A_receipt_acknowledged_late_is_overdue()
    {
        await ListThenRemoveAt(Friday);
        var listings = (await Pending()).Select(r => r.ListingId).ToArray();
        Time.SetUtcNow(new DateTimeOffset(2026, 12, 3, 9, 0, 0, Beijing).ToUniversalTime());

        await Acknowledge(Market, listings[0]);

        Time.Advance(TimeSpan.FromDays(7));
        var overdue = await Overdue(Market);
        Assert.That(overdue.Select(r => (r.ListingId, r.AcknowledgedAt is not null)), Is.EquivalentTo(new[] { (listings[0], true), (listings[1], false) }),
            "acknowledged after the deadline, and still not acknowledged");
        Assert.That(await Pending(), Has.Count.EqualTo(1));
        Assert.That(await Overdue(FoodBureau), Is.Empty);
    }

    [Test]
    public async Task Each_subscriber_owes_for_the_lists_it_received_and_a_correction_owes_nothing()
    {
        Time.SetUtcNow(Friday.ToUniversalTime());
        await ApplyStep.ApplyAsync([In(Listed()), In(Penalty())], CancellationToken.None);
        await ApplyStep.ApplyAsync([In(Listed(revision: 2))], CancellationToken.None);          // a correction: superseded
        await ApplyStep.ApplyAsync([In(Repaired())], CancellationToken.None);                   // credit repair: repaired
        await Publish();

        Assert.That(_publisher.Ends.Select(e => e.Status), Is.EquivalentTo(new[] { "superseded", "superseded", "repaired", "repaired" }));
        var receipts = await Pending();
        Assert.That(receipts.Select(r => (r.AgencyCode, r.Status)), Is.EquivalentTo(new[]
        {
            (FoodBureau, "repaired"), (FoodBureau, "repaired"), (Market, "repaired"), (Market, "repaired"),
        }), "the food-safety list reaches the food-safety bureau and the market regulator; the corrected court listing owes nothing");
        Assert.That((await Pending(FoodBureau)).Select(r => r.AgencyCode).Distinct(), Is.EqualTo(new[] { FoodBureau }));
    }

    [Test]
    public async Task An_end_the_publisher_refused_owes_nothing_until_it_is_published()
    {
        Time.SetUtcNow(Friday.AddHours(-1).ToUniversalTime());
        await ApplyStep.ApplyAsync([In(Listed())], CancellationToken.None);
        await Publish();
        Time.SetUtcNow(Friday.ToUniversalTime());
        await ApplyStep.ApplyAsync([In(Removed())], CancellationToken.None);
        _publisher.RefuseEnds = true;

        Assert.ThrowsAsync<InvalidOperationException>(() => Publish());
        Assert.That(await Pending(), Is.Empty);

        _publisher.RefuseEnds = false;
        Time.SetUtcNow(new DateTimeOffset(2026, 11, 30, 9, 0, 0, Beijing).ToUniversalTime());   // Monday: published at last
        await Publish();
        Assert.That((await Pending()).Select(r => (r.PublishedAt, r.Deadline)).Distinct(),
            Is.EqualTo(new[] { (Time.GetUtcNow(), new DateTimeOffset(2026, 12, 4, 0, 0, 0, Beijing)) }), "counted from when it went out: Tuesday, Wednesday, Thursday");
    }

    private sealed class Fixed(IReadOnlyList<ResolvedSubscription> subscriptions) : ISubscriptionSource
    {
        public Task<IReadOnlyList<ResolvedSubscription>> AllAsync(CancellationToken ct) => Task.FromResult(subscriptions);
    }

    private sealed class Publisher : IEventPublisher
    {
        private readonly List<SubjectDelisted> _ends = [];
        public bool RefuseEnds { get; set; }
        public IReadOnlyList<SubjectDelisted> Ends { get { lock (_ends) return [.. _ends]; } }

        public Task PublishAsync(object message, Type messageType, CancellationToken ct)
        {
            if (message is not SubjectDelisted end) return Task.CompletedTask;
            if (RefuseEnds) throw new InvalidOperationException("broker refused");
            lock (_ends) _ends.Add(end);
            return Task.CompletedTask;
        }
    }
}
