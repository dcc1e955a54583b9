using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Retry;

namespace Hub.Adapters.Publishing;

/// <summary>Configuration section <c>Hub:Publishing</c>: how long adapters ride out a broker outage before they answer "not accepted".</summary>
public sealed class PublishingOptions
{
    public const string Section = "Hub:Publishing";
    public int MaxRetryAttempts { get; set; } = 6;
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

public static class PublishingRegistration
{
    public static IServiceCollection AddHubPublishing(this IServiceCollection services, PublishingOptions options)
    {
        services.AddResiliencePipeline(HubPublisher.Pipeline, b => Configure(b, options));
        services.AddSingleton<HubPublisher>();
        return services;
    }

    /// <summary>Retries with exponential back-off and jitter around a timeout per attempt; cancellation is not retried.</summary>
    internal static ResiliencePipelineBuilder Configure(ResiliencePipelineBuilder b, PublishingOptions options) => b
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = options.MaxRetryAttempts,
            Delay = options.FirstRetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
        })
        .AddTimeout(options.AttemptTimeout);
}
