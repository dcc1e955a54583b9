using System.Text;
using System.Threading.Channels;
using Hub.Domain.Subscriptions;
using Hub.Storage;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Hub.Host.Subscribers;

/// <summary>
/// Server mode: a webhook subscriber's events come from its own durable queue, <c>hub.subscriber.{agency user}</c>, bound
/// from its subscription like any subscriber's. One consumer per agency on a channel of its own with prefetch 1, on a
/// queue with single active consumer: however many Hub processes run, one event of an agency is in flight at a time and
/// the next is taken only once it is settled — delivered (ack), or a dead letter (stored, then ack). Meanwhile the
/// agency's later events wait in the queue, in order. An event still failing at <see cref="WebhookOptions.HoldLimit"/>
/// is handed back to the head of the queue (nack, requeue) and taken again at once, its attempts remembered, so that the
/// broker never times out a delivery held for hours. A crash, a lost connection or a stop leaves the event unacknowledged:
/// the broker delivers it again (at least once; receivers drop repeats by <c>X-Hub-Event-Id</c>).
/// </summary>
public sealed partial class RabbitWebhookTransport(BrokerConnection broker, WebhookTargets targets, WebhookSender sender, IndexDatabase db,
    IOptions<WebhookOptions> options, TimeProvider time, ILogger<RabbitWebhookTransport> log) : IWebhookTransport
{
    /// <summary>The direct exchange dead letters are sent again through: each webhook subscriber's queue is bound to it
    /// with its own name (the Hub's broker user may not write to the default exchange, <c>amq.default</c>).</summary>
    public const string ResendExchange = "hub.webhook-resend";

    /// <summary>The event's routing key on <c>hub.events</c>, on an event sent again (whose routing key is then the queue's name).</summary>
    public const string RoutingKeyHeader = "hub-routing-key";

    public async Task RunAsync(string agency, CancellationToken ct)
    {
        var queue = EventRouting.QueueOf(agency);
        var channel = await broker.RentAsync(ct);
        try
        {
            var inbox = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                // the body's memory belongs to the client library only during this call
                inbox.Writer.TryWrite(new Delivery(delivery.DeliveryTag, delivery.RoutingKey, delivery.BasicProperties, delivery.Body.ToArray()));
                return Task.CompletedTask;
            };
            consumer.UnregisteredAsync += (_, _) =>
            {
                inbox.Writer.TryComplete(new InvalidOperationException($"the broker cancelled the consumer of {queue} (queue deleted?)"));
                return Task.CompletedTask;
            };
            consumer.ShutdownAsync += (_, reason) =>
            {
                inbox.Writer.TryComplete(new InvalidOperationException($"the channel consuming {queue} closed: {reason.ReplyCode} {reason.ReplyText}"));
                return Task.CompletedTask;
            };
            await channel.BasicQosAsync(0, 1, false, ct);
            await channel.BasicConsumeAsync(queue, autoAck: false, consumer, ct);

            WebhookAttempts? held = null;
            await foreach (var delivery in inbox.Reader.ReadAllAsync(ct))
            {
                if (targets.Find(agency) is not { } target)
                {
                    // the subscription ended or changed meanwhile: the event goes back, the dispatcher stops this worker
                    await channel.BasicNackAsync(delivery.Tag, multiple: false, requeue: true, CancellationToken.None);
                    await Task.Delay(Timeout.Infinite, ct);
                    return;
                }
                var message = MessageOf(delivery);
                if (held?.EventId != message.EventId) held = new WebhookAttempts(message.EventId);
                var outcome = await sender.DeliverAsync(target, message, held, time.GetUtcNow() + options.Value.HoldLimit, null, ct);
                switch (outcome)
                {
                    case WebhookOutcome.Postponed:
                        await channel.BasicNackAsync(delivery.Tag, multiple: false, requeue: true, CancellationToken.None);
                        continue;
                    case WebhookOutcome.Refused or WebhookOutcome.Exhausted:
                        await db.AddWebhookDeadLetterAsync(sender.DeadLetter(agency, message, held), null, CancellationToken.None);
                        break;
                }
                held = null;
                await channel.BasicAckAsync(delivery.Tag, multiple: false, CancellationToken.None);
            }
        }
        finally
        {
            // closing the channel gives an unacknowledged event back to the head of the queue
            await channel.DisposeAsync();
        }
    }

    public async Task ResendAsync(WebhookDeadLetterRow letter, CancellationToken ct)
    {
        var queue = EventRouting.QueueOf(letter.AgencyCode);
        var props = new BasicProperties
        {
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = letter.EventId,
            Type = letter.EventType,
            Timestamp = new AmqpTimestamp(time.GetUtcNow().ToUnixTimeSeconds()),
            Headers = new Dictionary<string, object?> { ["hub-event"] = letter.EventKind, [RoutingKeyHeader] = letter.RoutingKey },
        };
        var channel = await broker.RentAsync(ct);
        try
        {
            await channel.ExchangeDeclareAsync(ResendExchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: ct);
            await channel.QueueBindAsync(queue, ResendExchange, queue, cancellationToken: ct);
            // mandatory, with confirms: completes once the queue has it, throws when nothing took it
            await channel.BasicPublishAsync(ResendExchange, queue, mandatory: true, props, Encoding.UTF8.GetBytes(letter.Body), ct);
        }
        finally
        {
            await broker.ReturnAsync(channel);
        }
        LogResent(letter.Id, letter.EventId, queue);
    }

    private static WebhookMessage MessageOf(Delivery delivery)
    {
        var props = delivery.Properties;
        var routingKey = Header(props, RoutingKeyHeader) ?? delivery.RoutingKey;
        return new WebhookMessage(props.MessageId ?? "", props.Type ?? "", Header(props, "hub-event") ?? routingKey.Split('.')[0], routingKey, delivery.Body);
    }

    private sealed record Delivery(ulong Tag, string RoutingKey, IReadOnlyBasicProperties Properties, byte[] Body);

    private static string? Header(IReadOnlyBasicProperties props, string name) =>
        props.Headers?.TryGetValue(name, out var value) == true
            ? value switch { byte[] bytes => Encoding.UTF8.GetString(bytes), string s => s, _ => null }
            : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Dead letter {DeadLetterId} (event {EventId}) sent again to {Queue}")]
    private partial void LogResent(string deadLetterId, string eventId, string queue);
}
