using System.Text.Json;
using Hub.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hub.Host.Composition;

public static class HealthRegistration
{
    /// <summary>Readiness = the index database answers and the bus is connected (MassTransit's own check, tagged "ready").</summary>
    public static IHostApplicationBuilder AddHubHealth(this IHostApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks();
        if (IndexRegistration.HasIndex(builder.Configuration)) checks.AddCheck<IndexHealthCheck>("index", tags: ["ready"]);
        return builder;
    }

    public static WebApplication MapHubHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteJson });
        return app;
    }

    private static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}

internal sealed class IndexHealthCheck(IndexDatabase db, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<Hub.Aggregator.Applying.IndexAvailability>()?.Paused is { } paused)
            return HealthCheckResult.Unhealthy($"the index database ({db.Dialect.Name}) does not answer since {paused.Since:u}: the aggregator is " +
                                               $"paused with {paused.RecordsHeld} records held, the rest waiting in the queue, and resumes by itself when it answers");
        try
        {
            await db.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{db.Dialect.Name} answers");
        }
        catch (Exception ex)
        {
            // the exception is for the log; the answer says what an operator needs, without .NET type names
            return HealthCheckResult.Unhealthy($"the index database ({db.Dialect.Name}) does not answer", ex);
        }
    }
}
