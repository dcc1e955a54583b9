using Hub.Host.Composition;
using MassTransit;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Hub.Host.OperatorConsole;

/// <summary>
/// The operator console: the page at <c>/console</c> (static HTML, JavaScript and CSS embedded in the Hub's assembly — no
/// build step, nothing fetched from elsewhere; the page itself holds no data and is served to anyone, every figure comes
/// from <c>/api/operator/console/*</c> with an API key of scope <c>operate</c>) and what those endpoints need. Only in a
/// process with the index (the aggregator's).
/// </summary>
public static class ConsoleRegistration
{
    private const string Resources = "Hub.Host.Console.Page.";

    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/console", "console.html", "text/html; charset=utf-8"),
        ("/console/console.js", "console.js", "text/javascript; charset=utf-8"),
        ("/console/console.css", "console.css", "text/css; charset=utf-8"),
    ];

    public static WebApplicationBuilder AddHubConsole(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section);
        services.AddSingleton<BusCounters>();
        services.AddReceiveObserver(sp => sp.GetRequiredService<BusCounters>());
        services.AddPublishObserver(sp => sp.GetRequiredService<BusCounters>());
        services.AddSingleton<CounterQueueMonitor>();
        services.AddSingleton<FailedStore>();
        services.AddSingleton<QuarantineDesk>();
        services.AddOptions<Hub.Aggregator.Quality.DataQualityOptions>().BindConfiguration(Hub.Aggregator.Quality.DataQualityOptions.Section);
        services.AddSingleton<Hub.Aggregator.Quality.DataQuality>();
        services.AddHostedService<Heartbeat>();

        var bus = builder.Configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();
        if (!bus.IsRabbitMq)
        {
            services.AddSingleton<IQueueMonitor>(sp => sp.GetRequiredService<CounterQueueMonitor>());
            return builder;
        }
        var broker = BrokerAddress.Parse(builder.Configuration.GetConnectionString(BrokerAddress.ConnectionStringName));
        var caFile = string.IsNullOrWhiteSpace(bus.Tls.CaFile) ? null : bus.Tls.CaFile;
        services.AddSingleton<FailedIndex>();
        services.AddHostedService(sp => sp.GetRequiredService<FailedIndex>());
        services.AddSingleton(sp => new ConsoleBroker(broker, caFile, sp.GetRequiredService<Hub.Aggregator.Consumers.AuditPublishers>(), sp.GetRequiredService<IOptions<ConsoleOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ConsoleBroker>>()));
        services.AddHttpClient(ManagementQueueMonitor.HttpClientName);
        services.AddResiliencePipeline(ManagementQueueMonitor.Pipeline, (b, context) =>
        {
            var o = context.ServiceProvider.GetRequiredService<IOptions<ConsoleOptions>>().Value;
            b.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = 1, Delay = TimeSpan.FromMilliseconds(200), BackoffType = DelayBackoffType.Constant,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not (OperationCanceledException or ManagementRefusedException)),
            }).AddTimeout(o.ManagementTimeout);
        });
        services.AddSingleton<IQueueMonitor>(sp => ActivatorUtilities.CreateInstance<ManagementQueueMonitor>(sp, broker.VirtualHost));
        return builder;
    }

    /// <summary>The page's three files, embedded; anonymous (they hold no data), never cached stale, and allowed to load
    /// nothing but themselves and the Hub's API.</summary>
    public static WebApplication MapHubConsole(this WebApplication app)
    {
        foreach (var (path, resource, contentType) in Files)
        {
            var bytes = Read(resource);
            app.MapGet(path, (HttpContext http) =>
            {
                http.Response.Headers.CacheControl = "no-cache";
                http.Response.Headers["Content-Security-Policy"] =
                    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
                http.Response.Headers.XContentTypeOptions = "nosniff";
                http.Response.Headers["Referrer-Policy"] = "no-referrer";
                return Results.Bytes(bytes, contentType);
            }).ExcludeFromDescription().AllowAnonymous();
        }
        return app;
    }

    private static byte[] Read(string name)
    {
        using var stream = typeof(ConsoleRegistration).Assembly.GetManifestResourceStream(Resources + name)
                           ?? throw new InvalidOperationException($"the console's {name} is not embedded in the Hub's assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
