using MassTransit;

namespace Hub.Aggregator.Outbox;

/// <summary>Where the relay sends outbound events: the bus in the host, a recorder in tests.</summary>
public interface IEventPublisher
{
    /// <summary>Completes when the transport has the event (on RabbitMQ: the broker confirmed it).</summary>
    Task PublishAsync(object message, Type messageType, CancellationToken ct);
}

internal sealed class BusEventPublisher(IBus bus) : IEventPublisher
{
    public Task PublishAsync(object message, Type messageType, CancellationToken ct) => bus.Publish(message, messageType, ct);
}
