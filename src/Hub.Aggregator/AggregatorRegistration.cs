using Hub.Aggregator.Applying;
using Hub.Aggregator.Consumers;
using Hub.Aggregator.Outbox;
using Hub.Domain.Access;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Aggregator;

public static class AggregatorRegistration
{
    /// <summary>Registers the consumers with MassTransit (call inside <c>AddMassTransit</c>).</summary>
    public static void AddAggregatorConsumers(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<JudgmentDefaulterListedConsumer>();
        x.AddConsumer<JudgmentDefaulterRemovedConsumer>();
        x.AddConsumer<AdministrativePenaltyRecordedConsumer>();
        x.AddConsumer<OrganizationRegisteredConsumer>();
        x.AddConsumer<AuditRecordedConsumer>();
    }

    /// <summary>The aggregator's one queue: every inbound contract, applied in batches; transient failures retried in
    /// process (no delayed-exchange plugin on the broker), then the message goes to <c>{queue}_error</c>.</summary>
    public static void ConfigureAggregatorEndpoint(this IReceiveEndpointConfigurator e, IRegistrationContext context, AggregatorOptions o)
    {
        e.PrefetchCount = Math.Max(o.BatchSize * (o.BatchConcurrency + 1), 16);
        e.UseMessageRetry(r =>
        {
            r.Intervals(200, 1_000, 5_000);
            r.Ignore<RefusedAuditException>();
        });
        Configure<JudgmentDefaulterListedConsumer>();
        Configure<JudgmentDefaulterRemovedConsumer>();
        Configure<AdministrativePenaltyRecordedConsumer>();
        Configure<OrganizationRegisteredConsumer>();
        e.ConfigureConsumer<AuditRecordedConsumer>(context);

        void Configure<T>() where T : class, IConsumer =>
            e.ConfigureConsumer<T>(context, c => c.Options<BatchOptions>(b => b
                .SetMessageLimit(o.BatchSize)
                .SetTimeLimit(o.BatchTimeLimit)
                .SetConcurrencyLimit(o.BatchConcurrency)));
    }

    /// <summary>The aggregator's services (applier, relay, broker users) — needs IndexDatabase, RecordRules, the
    /// catalogue and the agency registry registered.</summary>
    public static IServiceCollection AddAggregatorServices(this IServiceCollection services)
    {
        services.TryAddSingleton<BrokerUsers>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<AggregatorMetrics>();
        services.AddSingleton<IRecordAuditSink, BatchAuditSink>();
        services.AddSingleton<RecordApplier>();
        services.AddSingleton<IEventPublisher, BusEventPublisher>();
        services.AddSingleton<OutboxRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        return services;
    }
}
