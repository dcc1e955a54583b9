using Hub.Aggregator;
using Hub.Domain.Access;
using Hub.Host.Composition;
using Hub.Host.OperatorConsole;
using Hub.Host.Security;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Hub.Host.Metrics;

/// <summary>
/// <c>GET /metrics</c>: the Hub's meters and MassTransit's in Prometheus's text format, through OpenTelemetry's
/// Prometheus exporter. Authenticated like every other door — an API key (<c>X-Api-Key</c>, or
/// <c>Authorization: Bearer</c> as Prometheus's <c>authorization</c> setting sends it) or a client certificate — and
/// answered only to a caller holding <c>metrics:read</c> (the roles <c>monitor</c> and <c>operator</c>). Scrapes are not
/// audited: the answer names no record, only counts, ages, queue names and agency codes; refusals are.
/// </summary>
public static class MetricsRegistration
{
    public const string Path = "/metrics";

    /// <summary>The meters exported: the aggregator's, the operators' gauges, MassTransit's, ASP.NET Core's request
    /// figures and the .NET runtime's.</summary>
    public static readonly string[] Meters =
    [
        AggregatorMetrics.MeterName, OperationsMetrics.MeterName, MassTransit.Monitoring.InstrumentationOptions.MeterName,
        "Microsoft.AspNetCore.Hosting", "System.Runtime",
    ];

    public static WebApplicationBuilder AddHubMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        if (!(builder.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions()).Enabled) return builder;
        // the operators' gauges need the index (and the console's queue monitor): not in the court adapter running alone
        if (IndexRegistration.HasIndex(builder.Configuration)) builder.Services.AddSingleton<OperationsMetrics>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("hub", serviceVersion: Heartbeat.Version, serviceInstanceId: $"{Environment.MachineName}/{Environment.ProcessId}"))
            .WithMetrics(m => m.AddMeter(Meters).AddPrometheusExporter(o => o.ScrapeEndpointPath = Path));
        return builder;
    }

    public static WebApplication MapHubMetrics(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MetricsOptions>>().Value.Enabled) return app;
        var operations = app.Services.GetService<OperationsMetrics>();
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch =>
            {
                // after authorization (the endpoint's policy ran): only an allowed scrape reads the broker or the index
                if (operations is not null)
                    branch.Use(async (context, next) =>
                    {
                        await operations.RefreshAsync(context.RequestAborted);
                        await next(context);
                    });
            }, optionsName: null)
            .RequireScope(Scopes.ReadMetrics)
            .ExcludeFromDescription();
        return app;
    }
}
