using Hub.Adapters.Court;
using Hub.Adapters.Publishing;

namespace Hub.Host.Composition;

/// <summary>Configuration section <c>Hub:CourtAdapter</c>.</summary>
public sealed class CourtAdapterOptions
{
    public const string Section = "Hub:CourtAdapter";

    /// <summary>Accept court notices over HTTP in this process.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Largest request body taken, in bytes; a larger one is answered 413 before it is parsed.</summary>
    public long MaxRequestBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Most notices in one request; more is answered 413 and nothing of it is sent.</summary>
    public int MaxNoticesPerRequest { get; set; } = 5_000;
}

public static class AdapterRegistration
{
    public static IHostApplicationBuilder AddHubAdapters(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CourtAdapterOptions>().BindConfiguration(CourtAdapterOptions.Section);
        var publishing = builder.Configuration.GetSection(PublishingOptions.Section).Get<PublishingOptions>() ?? new PublishingOptions();
        builder.Services.AddHubPublishing(publishing);
        builder.Services.AddSingleton<CourtNoticeMapper>();
        builder.Services.AddSingleton<CourtAdapter>();
        // a process without the index cannot write its heartbeat row: it sends it to the aggregator over the broker
        var bus = builder.Configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();
        if (!IndexRegistration.HasIndex(builder.Configuration) && bus.IsRabbitMq)
        {
            builder.Services.AddOptions<Hub.Host.OperatorConsole.ConsoleOptions>().BindConfiguration(Hub.Host.OperatorConsole.ConsoleOptions.Section);
            builder.Services.AddHostedService<Hub.Host.OperatorConsole.BusHeartbeat>();
        }
        return builder;
    }
}
