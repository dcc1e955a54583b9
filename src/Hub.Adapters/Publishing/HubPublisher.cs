using MassTransit;
using Polly;
using Polly.Registry;

namespace Hub.Adapters.Publishing;

/// <summary>
/// Publishes canonical events for adapters. On RabbitMQ MassTransit waits for the broker's publisher confirm, so a
/// completed publish means the broker has the message; a broker outage is ridden out by the <c>broker-publish</c>
/// Polly pipeline. Callers acknowledge to the agency only after this returns.
/// </summary>
public sealed class HubPublisher
{
    public const string Pipeline = "broker-publish";

    private readonly Func<object, CancellationToken, Task> _publish;
    private readonly ResiliencePipeline _pipeline;

    public HubPublisher(IBus bus, ResiliencePipelineProvider<string> pipelines)
        : this((message, ct) => bus.Publish(message, message.GetType(), ct), pipelines.GetPipeline(Pipeline))
    {
    }

    internal HubPublisher(Func<object, CancellationToken, Task> publish, ResiliencePipeline pipeline)
    {
        _publish = publish;
        _pipeline = pipeline;
    }

    public async Task PublishAsync<T>(T message, CancellationToken ct) where T : class =>
        await _pipeline.ExecuteAsync(static async (state, token) => await state._publish(state.message, token), (_publish, message), ct);
}
