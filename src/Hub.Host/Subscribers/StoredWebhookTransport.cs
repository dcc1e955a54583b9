using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Hub.Aggregator.Outbox;
using Hub.Domain.Subscriptions;
using Hub.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Host.Subscribers;

/// <summary>Wakes an agency's delivery worker on the embedded default when something was queued for it.</summary>
public sealed class WebhookSignal
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new(StringComparer.OrdinalIgnoreCase);

    public void Notify(string agency)
    {
        var signal = Of(agency);
        if (signal.CurrentCount == 0)
        {
            try { signal.Release(); } catch (SemaphoreFullException) { /* already signalled */ }
        }
    }

    public Task<bool> WaitAsync(string agency, TimeSpan timeout, CancellationToken ct) => Of(agency).WaitAsync(timeout, ct);

    private SemaphoreSlim Of(string agency) => _signals.GetOrAdd(agency, _ => new SemaphoreSlim(0, 1));
}

/// <summary>
/// The embedded default has no broker, so no subscriber queues: the relay's publisher is wrapped, and every outbound
/// event that a webhook subscription receives (<see cref="ResolvedSubscription.Receives"/>, the same routing the broker's
/// bindings do) is first queued durably in <c>webhook_deliveries</c>, one row per subscriber, with the body the broker
/// would carry — then published on the in-memory bus as before. Should queuing fail, the publish fails, and the relay
/// keeps the event pending and tries again: nothing is lost between the outbox and the webhook.
/// </summary>
public sealed class WebhookEnqueuingPublisher(IEventPublisher inner, WebhookTargets targets, EventRouting routing, IndexDatabase db, WebhookSignal signal,
    TimeProvider time) : IEventPublisher
{
    public async Task PublishAsync(object message, Type messageType, CancellationToken ct)
    {
        var key = routing.RoutingKeyOf(message);
        var receivers = (await targets.CurrentAsync(ct)).Values.Where(t => t.Subscription.Receives(key)).ToList();
        if (receivers.Count > 0)
        {
            var body = Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(message, messageType, RabbitEventPublisher.Json));
            var rows = receivers.Select(t => new WebhookDeliveryRow
            {
                AgencyCode = t.Agency, EventId = RabbitEventPublisher.EventIdOf(message) ?? "", EventType = RabbitEventPublisher.UrnOf(messageType),
                EventKind = EventRouting.KindOf(message) ?? messageType.Name, RoutingKey = key, Body = body, EnqueuedAt = time.GetUtcNow(),
            }).ToList();
            await db.EnqueueWebhookDeliveriesAsync(rows, ct);
            foreach (var t in receivers) signal.Notify(t.Agency);
        }
        await inner.PublishAsync(message, messageType, ct);
    }
}

/// <summary>
/// The embedded default's deliveries: an agency's rows in <c>webhook_deliveries</c>, oldest first, one at a time. A row
/// stays until its event is delivered or dead-lettered (in the same transaction), and records each failed attempt, so a
/// restart goes on with the same event, its retry window counted from its first attempt.
/// </summary>
public sealed class StoredWebhookTransport(IndexDatabase db, WebhookTargets targets, WebhookSender sender, WebhookSignal signal, IOptions<WebhookOptions> options,
    TimeProvider time) : IWebhookTransport
{
    public async Task RunAsync(string agency, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var row = await db.NextWebhookDeliveryAsync(agency, ct);
            if (row is null || targets.Find(agency) is not { } target)
            {
                await signal.WaitAsync(agency, options.Value.PollInterval, ct);
                continue;
            }
            var message = new WebhookMessage(row.EventId, row.EventType, row.EventKind, row.RoutingKey, Encoding.UTF8.GetBytes(row.Body));
            var state = new WebhookAttempts(row.EventId) { Attempts = row.Attempts, FirstAttemptAt = row.FirstAttemptAt };
            var outcome = await sender.DeliverAsync(target, message, state, holdUntil: null,
                (s, token) => db.RecordWebhookAttemptAsync(row.Id, s.Attempts, s.FirstAttemptAt ?? time.GetUtcNow(), token), ct);
            if (outcome == WebhookOutcome.Delivered) await db.DeleteWebhookDeliveryAsync(row.Id, CancellationToken.None);
            else await db.AddWebhookDeadLetterAsync(sender.DeadLetter(agency, message, state), row.Id, CancellationToken.None);
        }
    }

    public async Task ResendAsync(WebhookDeadLetterRow letter, CancellationToken ct)
    {
        await db.EnqueueWebhookDeliveriesAsync([new WebhookDeliveryRow
        {
            AgencyCode = letter.AgencyCode, EventId = letter.EventId, EventType = letter.EventType, EventKind = letter.EventKind,
            RoutingKey = letter.RoutingKey, Body = letter.Body, EnqueuedAt = time.GetUtcNow(),
        }], ct);
        signal.Notify(letter.AgencyCode);
    }
}
