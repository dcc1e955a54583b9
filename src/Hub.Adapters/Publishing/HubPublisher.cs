using Hub.Domain.Access;
using MassTransit;
using Polly;
using Polly.Registry;

namespace Hub.Adapters.Publishing;

/// <summary>
/// Publishes canonical events for adapters. On RabbitMQ MassTransit waits for the broker's publisher confirm, so a
/// completed publish means the broker has the message; a broker outage is ridden out by the <c>broker-publish</c>
/// Polly pipeline. Callers acknowledge to the agency only after this returns.
/// </summary>
/// <remarks>
/// Every message says which agency it is published for: on RabbitMQ as the AMQP <c>user_id</c> (the agency's broker
/// user, <see cref="BrokerUsers.UserOf(string)"/>), which the broker validates — the adapter's connection user must be
/// tagged <c>impersonator</c> to publish for the agencies it serves — and the aggregator believes; on the in-memory
/// transport as the <see cref="BrokerUsers.PublisherAgencyHeader"/> header.
/// </remarks>
public sealed class HubPublisher
{
    public const string Pipeline = "broker-publish";

    private readonly Func<object, string, CancellationToken, Task> _publish;
    private readonly ResiliencePipeline _pipeline;

    public HubPublisher(IBus bus, ResiliencePipelineProvider<string> pipelines)
        : this((message, agencyCode, ct) => bus.Publish(message, message.GetType(), context => Stamp(context, agencyCode), ct),
            pipelines.GetPipeline(Pipeline))
    {
    }

    internal HubPublisher(Func<object, string, CancellationToken, Task> publish, ResiliencePipeline pipeline)
    {
        _publish = publish;
        _pipeline = pipeline;
    }

    /// <summary>Publishes <paramref name="message"/> for the agency <paramref name="agencyCode"/>, the one the record is from.</summary>
    public async Task PublishAsync<T>(T message, string agencyCode, CancellationToken ct) where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agencyCode);
        await _pipeline.ExecuteAsync(static async (state, token) => await state._publish(state.message, state.agencyCode, token),
            (_publish, message, agencyCode), ct);
    }

    /// <summary>Names the publishing agency on the message, for the transport it goes out on.</summary>
    internal static void Stamp(PublishContext context, string agencyCode)
    {
        context.Headers.Set(BrokerUsers.PublisherAgencyHeader, agencyCode);
        if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit))
            rabbit.BasicProperties.UserId = BrokerUsers.UserOf(agencyCode);
    }
}
