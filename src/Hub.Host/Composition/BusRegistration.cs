using Hub.Aggregator;
using Hub.Aggregator.Consumers;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Hub.Host.Composition;

/// <summary>Configuration section <c>Hub:Bus</c>. The broker address is <c>ConnectionStrings:RabbitMq</c>
/// (amqp://user:password@host:port/vhost, or amqps:// for TLS; see <see cref="BrokerAddress"/>).</summary>
public sealed class BusOptions
{
    public const string Section = "Hub:Bus";

    /// <summary><c>InMemory</c> (embedded default) or <c>RabbitMq</c>.</summary>
    public string Transport { get; set; } = "InMemory";

    /// <summary>TLS to the broker (amqps://).</summary>
    public BusTlsOptions Tls { get; set; } = new();

    /// <summary>Broker users besides this process's own whose audit entries the aggregator appends (the court adapter
    /// running as its own process).</summary>
    public List<string> AuditPublishers { get; set; } = [Hub.Domain.Access.BrokerUsers.AdapterUser];

    public bool IsRabbitMq => string.Equals(Transport, "RabbitMq", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Configuration section <c>Hub:Bus:Tls</c>.</summary>
public sealed class BusTlsOptions
{
    public const string Section = "Hub:Bus:Tls";

    /// <summary>A PEM file with the CA certificate the broker's certificate must chain to, for a broker with a private
    /// CA; unset: the machine's trusted roots.</summary>
    public string? CaFile { get; set; }
}

public static class BusRegistration
{
    public static IHostApplicationBuilder AddHubBus(this IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var bus = config.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();
        var aggregator = config.GetSection(AggregatorOptions.Section).Get<AggregatorOptions>() ?? new AggregatorOptions();
        if (!bus.IsRabbitMq && !string.Equals(bus.Transport, "InMemory", StringComparison.OrdinalIgnoreCase))
            throw new OptionsValidationException(BusOptions.Section, typeof(BusOptions), [$"Hub:Bus:Transport '{bus.Transport}' is not supported; use InMemory or RabbitMq"]);
        builder.Services.AddOptions<AggregatorOptions>().BindConfiguration(AggregatorOptions.Section);

        builder.Services.AddMassTransit(x =>
        {
            if (aggregator.Enabled) x.AddAggregatorConsumers();
            if (bus.IsRabbitMq)
            {
                // parsed here, before anything starts: a server without credentials does not start at all
                var broker = BrokerAddress.Parse(config.GetConnectionString(BrokerAddress.ConnectionStringName));
                var hubUsers = new AuditPublishers(broker.User, bus.AuditPublishers);
                builder.Services.AddSingleton(hubUsers);
                var caFile = string.IsNullOrWhiteSpace(bus.Tls.CaFile) ? null : bus.Tls.CaFile;
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.ConfigureJsonSerializerOptions(Compact);
                    broker.Configure(cfg, caFile);
                    // the console indexes what goes to the error queues of the queues it works (AggregatorOptions.WorkedQueues)
                    Task Indexed(string queue, RabbitMQ.Client.IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body) =>
                        context.GetService<OperatorConsole.FailedIndex>()?.MovedAsync(queue, properties, body) ?? Task.CompletedTask;
                    if (aggregator.Enabled)
                        cfg.ReceiveEndpoint(aggregator.QueueName, e =>
                        {
                            e.ConfigureAggregatorEndpoint(context, aggregator);
                            // hub-aggregator is no impersonator: failed and skipped messages move with its own user_id
                            e.MoveAsTheHub(cfg.SendTopology, hubUsers, Indexed);
                        });
                    if (aggregator.Enabled)
                        cfg.ReceiveEndpoint(aggregator.HeartbeatQueueName, e =>
                        {
                            e.ConfigureHeartbeatEndpoint(context);
                            e.MoveAsTheHub(cfg.SendTopology, hubUsers);
                        });
                    if (aggregator.Enabled)
                        cfg.ReceiveEndpoint(aggregator.BulkQueueName, e =>
                        {
                            e.ConfigureAggregatorBulkEndpoint(context, aggregator);
                            e.MoveAsTheHub(cfg.SendTopology, hubUsers, Indexed);
                        });
                });
            }
            else
            {
                builder.Services.AddSingleton(AuditPublishers.InMemory);
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.ConfigureJsonSerializerOptions(Compact);
                    if (aggregator.Enabled)
                    {
                        cfg.ReceiveEndpoint(aggregator.QueueName, e => e.ConfigureAggregatorEndpoint(context, aggregator));
                        cfg.ReceiveEndpoint(aggregator.BulkQueueName, e => e.ConfigureAggregatorBulkEndpoint(context, aggregator));
                    }
                });
            }
        });
        // after MassTransit: hosted services stop in reverse order, so the relay stops before the bus it publishes on
        if (aggregator.Enabled) builder.Services.AddAggregatorServices();
        return builder;
    }

    /// <summary>MassTransit writes indented JSON by default: more bytes per message for the broker to move and store,
    /// and more to write and read. Compact JSON reads the same (a JudgmentDefaulterListed is ~1.7 KB).</summary>
    private static System.Text.Json.JsonSerializerOptions Compact(System.Text.Json.JsonSerializerOptions options)
    {
        options.WriteIndented = false;
        return options;
    }
}
