using Hub.Aggregator.Outbox;
using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Domain.Subscriptions;
using Hub.Host.Composition;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hub.Host.Subscribers;

public static class SubscriberRegistration
{
    /// <summary>
    /// Subscriptions where the index is (they are stored there): the directory and its rules everywhere; in server mode
    /// also the broker side — the topic exchange, the subscriber queues and their bindings, and the relay publishing
    /// plain JSON to them instead of MassTransit's envelope. Call after <c>AddHubBus</c>.
    /// </summary>
    public static IHostApplicationBuilder AddHubSubscribers(this IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var bus = config.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();
        var services = builder.Services;
        services.AddOptions<SubscriberOptions>().BindConfiguration(SubscriberOptions.Section)
            .PostConfigure(o => o.RequireHttps ??= bus.IsRabbitMq);
        services.AddSingleton<EventRouting>();
        services.AddSingleton(sp => new SubscriptionRules(sp.GetRequiredService<AgencyRegistry>(), sp.GetRequiredService<AccessPolicy>(),
            sp.GetRequiredService<LegalBasisCatalogue>(), sp.GetRequiredService<JointSanctionsCatalogue>()));
        services.AddSingleton(sp =>
        {
            var file = sp.GetRequiredService<IOptions<CatalogueOptions>>().Value.SubscriptionsFile;
            var declared = file is null ? SubscriptionRegistry.Embedded() : SubscriptionRegistry.Load(File.ReadAllText(file));
            return ActivatorUtilities.CreateInstance<SubscriptionDirectory>(sp, declared);
        });
        // removal receipts: the outbox relay records who owes one for each end of a listing it publishes (both modes)
        services.AddSingleton<ISubscriptionSource, DirectorySubscriptionSource>();
        services.AddSingleton<RemovalReceipts>();
        if (bus.IsRabbitMq)
        {
            var broker = BrokerAddress.Parse(config.GetConnectionString(BrokerAddress.ConnectionStringName));
            var caFile = string.IsNullOrWhiteSpace(bus.Tls.CaFile) ? null : bus.Tls.CaFile;
            services.AddSingleton(new BrokerConnection(broker, caFile));
            services.Replace(ServiceDescriptor.Singleton<IEventPublisher, RabbitEventPublisher>());
            services.AddSingleton<SubscriberTopology>();
            // before the relay starts publishing to the exchange (hosted services start in order of registration is not
            // guaranteed to be before AddHubBus's): the relay's publish declares nothing and fails until it exists
            services.AddHostedService(sp => sp.GetRequiredService<SubscriberTopology>());
        }
        services.AddHubWebhooks(bus);
        return builder;
    }
}
