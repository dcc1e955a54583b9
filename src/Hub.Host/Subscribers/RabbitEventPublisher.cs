using System.Reflection;
using System.Text.Json;
using Hub.Aggregator.Outbox;
using Hub.Domain.Subscriptions;
using MassTransit;
using RabbitMQ.Client;

namespace Hub.Host.Subscribers;

/// <summary>
/// The outbox relay's publisher in server mode: each outbound event once, as plain JSON (the documented fields, no
/// envelope), to the topic exchange <see cref="EventRouting.Exchange"/> with its routing key — the broker copies it to
/// the queue of every subscriber whose bindings match, and to none other. Persistent, with the broker's confirm before
/// the relay marks it published.
/// </summary>
public sealed class RabbitEventPublisher(BrokerConnection broker, EventRouting routing, TimeProvider time) : IEventPublisher
{
    public async Task PublishAsync(object message, Type messageType, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(message, messageType, Json);
        var props = new BasicProperties
        {
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = EventIdOf(message),
            Type = UrnOf(messageType),
            Timestamp = new AmqpTimestamp(time.GetUtcNow().ToUnixTimeSeconds()),
            Headers = new Dictionary<string, object?> { ["hub-event"] = EventRouting.KindOf(message) ?? messageType.Name },
        };
        var channel = await broker.RentAsync(ct);
        try
        {
            await channel.BasicPublishAsync(EventRouting.Exchange, routing.RoutingKeyOf(message), mandatory: false, props, body, ct);
        }
        finally
        {
            await broker.ReturnAsync(channel);
        }
    }

    /// <summary>The documented wire format: camelCase, enums as names, a missing optional field left out (not null).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The contract's URN, e.g. <c>urn:message:hub:subject-listed:v1</c> (looked up once per type).</summary>
    public static string UrnOf(Type type) => Urns.GetOrAdd(type,
        t => t.GetCustomAttribute<MessageUrnAttribute>()?.Urn.ToString() ?? $"urn:message:{t.Namespace}:{t.Name}");

    internal static string? EventIdOf(object message) =>
        EventIds.GetOrAdd(message.GetType(), t => t.GetProperty("EventId"))?.GetValue(message) as string;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string> Urns = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, PropertyInfo?> EventIds = new();
}
