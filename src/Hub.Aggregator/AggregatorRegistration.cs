using Hub.Aggregator.Applying;
using Hub.Aggregator.Consumers;
using Hub.Aggregator.Lifecycle;
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
        x.AddConsumer<ListingDisputedConsumer>();
        x.AddConsumer<DisputeResolvedConsumer>();
        x.AddConsumer<CreditRepairGrantedConsumer>();
        x.AddConsumer<AuditRecordedConsumer>();
        x.AddConsumer<HubHeartbeatConsumer>();
        x.AddConsumer<JudgmentDefaulterListedBatchConsumer>();
        x.AddConsumer<AdministrativePenaltyRecordedBatchConsumer>();
    }

    /// <summary>The heartbeats of Hub processes without an index: a queue of their own, one at a time, no retries (the
    /// next beat comes soon).</summary>
    public static void ConfigureHeartbeatEndpoint(this IReceiveEndpointConfigurator e, IRegistrationContext context)
    {
        e.ConcurrentMessageLimit = 1;
        e.ConfigureConsumer<HubHeartbeatConsumer>(context);
    }

    /// <summary>The aggregator's one queue: every inbound contract, handed to the one <see cref="RecordSequencer"/> that
    /// applies them in batches in arrival order; transient failures retried in process (no delayed-exchange plugin on
    /// the broker), then the message goes to <c>{queue}_error</c>.</summary>
    /// <remarks>Each message stays in flight (unacknowledged) until its batch commits, so the endpoint must let a whole
    /// batch, and the next one filling, be in flight at once: prefetch and concurrent-message limit alike.</remarks>
    public static void ConfigureAggregatorEndpoint(this IReceiveEndpointConfigurator e, IRegistrationContext context, AggregatorOptions o)
    {
        var inFlight = Math.Max(o.BatchSize * (o.BatchConcurrency + 1), 16);
        e.PrefetchCount = inFlight;
        e.ConcurrentMessageLimit = inFlight;
        e.UseMessageRetry(r =>
        {
            r.Intervals(200, 1_000, 5_000);
            r.Ignore<RefusedAuditException>();
        });
        e.ConfigureConsumer<JudgmentDefaulterListedConsumer>(context);
        e.ConfigureConsumer<JudgmentDefaulterRemovedConsumer>(context);
        e.ConfigureConsumer<AdministrativePenaltyRecordedConsumer>(context);
        e.ConfigureConsumer<OrganizationRegisteredConsumer>(context);
        e.ConfigureConsumer<ListingDisputedConsumer>(context);
        e.ConfigureConsumer<DisputeResolvedConsumer>(context);
        e.ConfigureConsumer<CreditRepairGrantedConsumer>(context);
        e.ConfigureConsumer<AuditRecordedConsumer>(context);
    }

    /// <summary>The aggregator's bulk queue: the batch contracts, their records handed to the same <see cref="RecordSequencer"/>
    /// as the single records of the main queue. A queue of its own, so that few batch messages are in flight at once
    /// (<see cref="AggregatorOptions.BulkPrefetch"/>, each up to about 1,000 records) where the main queue lets a thousand
    /// single messages be; the same retries and error queue.</summary>
    public static void ConfigureAggregatorBulkEndpoint(this IReceiveEndpointConfigurator e, IRegistrationContext context, AggregatorOptions o)
    {
        var inFlight = Math.Max(o.BulkPrefetch, 1);
        e.PrefetchCount = inFlight;
        e.ConcurrentMessageLimit = inFlight;
        e.UseMessageRetry(r => r.Intervals(200, 1_000, 5_000));
        e.ConfigureConsumer<JudgmentDefaulterListedBatchConsumer>(context);
        e.ConfigureConsumer<AdministrativePenaltyRecordedBatchConsumer>(context);
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
        services.AddSingleton<IndexAvailability>();
        services.AddSingleton<RecordSequencer>();
        services.AddHostedService<HeldRemovalSweeper>();
        services.AddOptions<Retention.RetentionOptions>().BindConfiguration(Retention.RetentionOptions.Section);
        services.AddSingleton<Retention.RetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<Retention.RetentionService>());
        services.TryAddSingleton(HubInstance.ForThisProcess());
        services.AddSingleton<ListingExpiry>();
        services.AddHostedService<ExpirySweeper>();
        services.AddHostedService<CoreNameBackfill>();
        services.AddHostedService<NameSeparatorBackfill>();
        services.AddSingleton<IEventPublisher, BusEventPublisher>();
        services.AddSingleton<OutboxRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        return services;
    }
}
