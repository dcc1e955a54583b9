using MassTransit;
using Polly;
using Polly.Registry;

namespace Hub.Adapters.Publishing;

/// <summary>
/// Publishes canonical events for adapters. On RabbitMQ MassTransit waits for the broker's publisher confirm, so a
/// completed publish means the broker has the message; a broker outage is ridden out by the <c>broker-publish</c>
/// Polly pipeline. Callers acknowledge to the agency only after this returns.
/// </summary>
public sealed class HubPublisher(IBus publish, ResiliencePipelineProvider<string> pipelines)
{
    public const string Pipeline = "broker-publish";

    public async Task PublishAsync<T>(T message, CancellationToken ct) where T : class
    {
        var pipeline = pipelines.GetPipeline(Pipeline);
        await pipeline.ExecuteAsync(static async (state, token) => await state.publish.Publish(state.message, token),
            (publish, message), ct);
    }
}
