using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hub.Aggregator;
using Microsoft.Extensions.Options;
using Polly;

namespace Hub.Host.OperatorConsole;

/// <summary>One queue's figures. Null where the source cannot say (the Hub's own counters know no consumers' rates on
/// other queues). <see cref="IsError"/>: an error queue — anything in it needs an operator.</summary>
public sealed record QueueFigures(string Name, string Role, long? Ready, long? Unacknowledged, double? PublishRate, double? DeliverRate,
    int? Consumers, double? OldestAgeSeconds, bool IsError);

/// <summary>The Hub's queues, from where: <c>management</c> (the broker's management API), <c>counters</c> (this
/// process's own, on the embedded default), or <c>none</c>; <see cref="Problem"/> says why the broker's figures are missing.</summary>
public sealed record QueueReport(string Source, bool BrokerReachable, string? Problem, DateTimeOffset At, IReadOnlyList<QueueFigures> Queues);

public interface IQueueMonitor
{
    Task<QueueReport> ReadAsync(CancellationToken ct);
}

/// <summary>The embedded default: no broker, so the aggregator's in-memory queue as this process counts it.</summary>
public sealed class CounterQueueMonitor(BusCounters counters, IOptions<AggregatorOptions> aggregator, TimeProvider time) : IQueueMonitor
{
    public Task<QueueReport> ReadAsync(CancellationToken ct)
    {
        var s = counters.Read();
        return Task.FromResult(new QueueReport("counters", false, null, time.GetUtcNow(),
        [
            new QueueFigures(aggregator.Value.QueueName, "aggregator", s.Ready, s.InFlight, s.PublishRate, s.DeliverRate, 1, s.OldestAgeSeconds, false),
        ]));
    }
}

/// <summary>
/// Server mode: every queue named <c>hub.*</c> in the vhost from the RabbitMQ management HTTP API (user with the
/// <c>monitoring</c> tag), through the Polly pipeline <see cref="Pipeline"/> (a timeout per attempt, one retry). The age of a
/// queue's oldest message is not in the management API's answer (only with per-message timestamps): it is read from the
/// head message over AMQP (<see cref="ConsoleBroker.OldestAgeSecondsAsync"/>). When the management API cannot be reached
/// the report says so and shows the aggregator's queue as this process counts it (<see cref="BusCounters"/>).
/// </summary>
public sealed partial class ManagementQueueMonitor(
    IHttpClientFactory http, IOptions<ConsoleOptions> options, ConsoleBroker broker, CounterQueueMonitor counters, string vhost, Polly.Registry.ResiliencePipelineProvider<string> pipelines,
    IOptions<AggregatorOptions> aggregator, TimeProvider time, ILogger<ManagementQueueMonitor> log) : IQueueMonitor
{
    public const string Pipeline = "console-management";
    public const string HttpClientName = "rabbitmq-management";

    public async Task<QueueReport> ReadAsync(CancellationToken ct)
    {
        var o = options.Value;
        if (o.ManagementUrl is null)
            return await OwnFiguresAsync("the broker's management API is not configured (Hub:Console:ManagementUrl): the aggregator's queue as this process counts it", ct);
        JsonElement queues;
        try
        {
            queues = await pipelines.GetPipeline(Pipeline).ExecuteAsync(async token =>
            {
                using var client = http.CreateClient(HttpClientName);
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(o.ManagementUrl, $"api/queues/{Uri.EscapeDataString(o.ManagementVhost ?? vhost)}"));
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.ManagementUser}:{o.ManagementPassword}")));
                using var response = await client.SendAsync(request, token);
                if (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
                    throw new ManagementRefusedException($"the broker's management API refused the user '{o.ManagementUser}' ({(int)response.StatusCode})");
                response.EnsureSuccessStatusCode();
                return (await response.Content.ReadFromJsonAsync<JsonElement>(token)).Clone();
            }, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogUnreachable(ex, o.ManagementUrl);
            var problem = ex is ManagementRefusedException ? ex.Message : $"the broker's management API at {o.ManagementUrl} cannot be reached";
            return await OwnFiguresAsync(problem + ": the aggregator's queue as this process counts it", ct);
        }
        var list = new List<QueueFigures>();
        foreach (var q in queues.EnumerateArray())
        {
            var name = q.GetProperty("name").GetString() ?? "";
            if (!name.StartsWith("hub.", StringComparison.Ordinal)) continue;
            var ready = Long(q, "messages_ready");
            var stats = q.TryGetProperty("message_stats", out var st) ? st : default;
            double? age = null;
            if (q.TryGetProperty("head_message_timestamp", out var head) && head.ValueKind == JsonValueKind.Number)
                age = Math.Max(0, time.GetUtcNow().ToUnixTimeSeconds() - head.GetInt64());
            else if (ready > 0)
            {
                try { age = await broker.OldestAgeSecondsAsync(name, ct); }
                catch (Exception ex) when (!ct.IsCancellationRequested) { LogPeekFailed(ex, name); }
            }
            list.Add(new QueueFigures(name, RoleOf(name), ready, Long(q, "messages_unacknowledged"), Rate(stats, "publish_details"),
                Rate(stats, "deliver_get_details"), (int?)Long(q, "consumers"), age, name.EndsWith(AggregatorOptions.ErrorSuffix, StringComparison.Ordinal)));
        }
        return new QueueReport("management", true, null, time.GetUtcNow(),
            list.OrderBy(q => q.Role switch { "aggregator" => 0, "bulk" => 0, "error" => 1, "subscriber" => 3, _ => 2 }).ThenBy(q => q.Name, StringComparer.Ordinal).ToList());
    }

    private async Task<QueueReport> OwnFiguresAsync(string problem, CancellationToken ct) =>
        (await counters.ReadAsync(ct)) with { BrokerReachable = false, Problem = problem };

    /// <summary>A queue's role: <c>error</c> and <c>skipped</c> by MassTransit's suffixes (every endpoint's, the bulk
    /// path's included), <c>aggregator</c> and <c>bulk</c> the aggregator's queues as configured (<see cref="AggregatorOptions"/>),
    /// <c>subscriber</c> a bureau's queue.</summary>
    private string RoleOf(string name) =>
        name.EndsWith(AggregatorOptions.ErrorSuffix, StringComparison.Ordinal) ? "error"
        : name.EndsWith("_skipped", StringComparison.Ordinal) ? "skipped"
        : name.StartsWith("hub.subscriber.", StringComparison.Ordinal) ? "subscriber"
        : name == aggregator.Value.QueueName ? "aggregator"
        : name == aggregator.Value.BulkQueueName ? "bulk" : "other";

    private static long? Long(JsonElement q, string name) =>
        q.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    private static double? Rate(JsonElement stats, string name) =>
        stats.ValueKind == JsonValueKind.Object && stats.TryGetProperty(name, out var d) && d.TryGetProperty("rate", out var r) && r.ValueKind == JsonValueKind.Number
            ? r.GetDouble() : stats.ValueKind == JsonValueKind.Object ? 0 : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The head of {Queue} could not be looked at for its age")]
    private partial void LogPeekFailed(Exception ex, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The broker's management API at {Url} cannot be read")]
    private partial void LogUnreachable(Exception ex, Uri url);
}

internal sealed class ManagementRefusedException(string message) : Exception(message);
