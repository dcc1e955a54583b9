using Hub.Aggregator.Outbox;
using Hub.Host.Composition;

namespace Hub.Host.Subscribers;

public static class WebhookRegistration
{
    /// <summary>
    /// Webhook subscribers, where the index is: the shared sender and the dispatcher of per-agency workers; in server mode
    /// fed from the subscribers' queues on the broker, on the embedded default from <c>webhook_deliveries</c>, which the
    /// relay's publisher fills (wrapped here: call after <c>AddHubBus</c>).
    /// </summary>
    public static IServiceCollection AddHubWebhooks(this IServiceCollection services, BusOptions bus)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        // redirects are not followed (a POST to wherever it points); no client logging: it would write the URLs
        services.AddHttpClient(WebhookSender.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .RemoveAllLoggers();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookTargets>();
        if (bus.IsRabbitMq)
        {
            services.AddSingleton<IWebhookTransport, RabbitWebhookTransport>();
        }
        else
        {
            services.AddSingleton<WebhookSignal>();
            services.AddSingleton<IWebhookTransport, StoredWebhookTransport>();
            // the relay's publisher (the in-memory bus), when this process runs the aggregator
            if (services.LastOrDefault(d => d.ServiceType == typeof(IEventPublisher)) is { } publisher)
            {
                services.Remove(publisher);
                services.AddSingleton<IEventPublisher>(sp => ActivatorUtilities.CreateInstance<WebhookEnqueuingPublisher>(sp, Inner(sp, publisher)));
            }
        }
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }

    private static IEventPublisher Inner(IServiceProvider sp, ServiceDescriptor d) => (IEventPublisher)(
        d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));
}
