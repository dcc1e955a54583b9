using Hub.Storage.Audit;
using Hub.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Storage.Tests;

/// <summary>What the index keeps for webhook subscribers, per dialect: the embedded default's line of deliveries per
/// agency, dead letters and their resending, and secrets.</summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class WebhookStoreTests<TTarget> where TTarget : IIndexTarget, new()
{
    private TTarget _target = default!;
    private FakeTimeProvider _time = default!;
    private IndexDatabase _db = default!;

    [SetUp]
    public async Task SetUp()
    {
        _target = new TTarget();
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero));
        _db = await _target.CreateAsync(_time);
        await _db.MigrateAsync(CancellationToken.None);
    }

    [TearDown]
    public async Task TearDown() => await _target.DisposeAsync();

    private WebhookDeliveryRow Delivery(string agency, string eventId) => new()
    {
        AgencyCode = agency, EventId = eventId, EventType = "urn:message:hub:subject-listed:v1", EventKind = "listed",
        RoutingKey = "listed.food-safety-serious.35", Body = $$"""{"eventId":"{{eventId}}","displayName":"福州"}""", EnqueuedAt = _time.GetUtcNow(),
    };

    private AuditEntry Audit(string action) => new(_time.GetUtcNow(), "operator:test", null, action, "operate", null, "done", "test", "http");

    [Test]
    public async Task An_agencys_deliveries_come_out_oldest_first_once_each_and_keep_their_attempts()
    {
        await _db.EnqueueWebhookDeliveriesAsync([Delivery("FOOD-35", "e-1"), Delivery("MARKET-35", "e-1")], CancellationToken.None);
        await _db.EnqueueWebhookDeliveriesAsync([Delivery("FOOD-35", "e-2"), Delivery("FOOD-35", "e-1")], CancellationToken.None);

        Assert.That(await _db.PendingWebhookDeliveriesAsync("FOOD-35", CancellationToken.None), Is.EqualTo(2), "e-1 published again keeps its one place");
        var head = (await _db.NextWebhookDeliveryAsync("FOOD-35", CancellationToken.None))!;
        Assert.That((head.EventId, head.Body, head.Attempts, head.FirstAttemptAt), Is.EqualTo(("e-1", """{"eventId":"e-1","displayName":"福州"}""", 0, (DateTimeOffset?)null)));

        await _db.RecordWebhookAttemptAsync(head.Id, 3, _time.GetUtcNow(), CancellationToken.None);
        var again = (await _db.NextWebhookDeliveryAsync("FOOD-35", CancellationToken.None))!;
        Assert.That((again.Id, again.Attempts, again.FirstAttemptAt), Is.EqualTo((head.Id, 3, (DateTimeOffset?)_time.GetUtcNow())));

        await _db.DeleteWebhookDeliveryAsync(head.Id, CancellationToken.None);
        Assert.That((await _db.NextWebhookDeliveryAsync("FOOD-35", CancellationToken.None))!.EventId, Is.EqualTo("e-2"));
        Assert.That((await _db.NextWebhookDeliveryAsync("MARKET-35", CancellationToken.None))!.EventId, Is.EqualTo("e-1"), "each agency its own line");
    }

    [Test]
    public async Task A_dead_letter_ends_its_delivery_in_the_same_transaction_and_is_marked_when_sent_again()
    {
        await _db.EnqueueWebhookDeliveriesAsync([Delivery("FOOD-35", "e-1")], CancellationToken.None);
        var head = (await _db.NextWebhookDeliveryAsync("FOOD-35", CancellationToken.None))!;
        await _db.AddWebhookDeadLetterAsync(new WebhookDeadLetterRow
        {
            Id = "dl-1", AgencyCode = "FOOD-35", EventId = head.EventId, EventType = head.EventType, EventKind = head.EventKind, RoutingKey = head.RoutingKey,
            Body = head.Body, Attempts = 1, LastStatus = 400, LastError = "HTTP 400 Bad Request", FailedAt = _time.GetUtcNow(),
        }, head.Id, CancellationToken.None);

        Assert.That(await _db.PendingWebhookDeliveriesAsync("FOOD-35", CancellationToken.None), Is.Zero);
        _time.Advance(TimeSpan.FromMinutes(5));
        await _db.MarkWebhookDeadLetterResentAsync("dl-1", _time.GetUtcNow(), "operator:test", Audit("webhooks.resend"), CancellationToken.None);

        var letter = (await _db.WebhookDeadLettersAsync("FOOD-35", 10, CancellationToken.None)).Single();
        Assert.That((letter.LastStatus, letter.Body, letter.ResentBy, letter.ResentAt), Is.EqualTo(((int?)400, head.Body, "operator:test", (DateTimeOffset?)_time.GetUtcNow())));
        Assert.That(await _db.WebhookDeadLettersAsync("MARKET-35", 10, CancellationToken.None), Is.Empty);
        Assert.That((await _db.AuditLatestAsync(1, CancellationToken.None)).Single().Action, Is.EqualTo("webhooks.resend"));
    }

    [Test]
    public async Task Only_a_webhook_subscription_gets_a_new_secret()
    {
        await _db.SaveSubscriptionAsync(new SubscriptionRow
        {
            AgencyCode = "FOOD-35", Delivery = "webhook", WebhookUrl = "https://food.example/hub", WebhookSecret = "old", UpdatedAt = _time.GetUtcNow(), UpdatedBy = "operator:test",
        }, Audit("subscriptions.put"), CancellationToken.None);
        await _db.SaveSubscriptionAsync(new SubscriptionRow
        {
            AgencyCode = "LABOUR-32", Delivery = "amqp", UpdatedAt = _time.GetUtcNow(), UpdatedBy = "operator:test",
        }, Audit("subscriptions.put"), CancellationToken.None);

        Assert.That(await _db.SetWebhookSecretAsync("FOOD-35", "new", Audit("subscriptions.webhook-secret"), CancellationToken.None), Is.True);
        Assert.That(await _db.SetWebhookSecretAsync("LABOUR-32", "new", Audit("subscriptions.webhook-secret"), CancellationToken.None), Is.False);
        Assert.That(await _db.SetWebhookSecretAsync("ENV-44", "new", Audit("subscriptions.webhook-secret"), CancellationToken.None), Is.False);
        var rows = await _db.SubscriptionsAsync(CancellationToken.None);
        Assert.That(rows.Select(r => (r.AgencyCode, r.WebhookSecret)), Is.EqualTo(new[] { ("FOOD-35", (string?)"new"), ("LABOUR-32", null) }));
    }
}
