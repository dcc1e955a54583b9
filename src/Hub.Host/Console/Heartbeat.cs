using System.Reflection;
using Hub.Aggregator;
using Hub.Aggregator.Lifecycle;
using Hub.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Host.OperatorConsole;

/// <summary>
/// The heartbeat of a Hub process with the index database: its row in <c>hub_instances</c> (what it runs, host, process,
/// build version, start) gets a fresh <c>last_seen_at</c> every <see cref="ConsoleOptions.HeartbeatInterval"/> on the
/// injected clock; the console shows a process silent for longer than <see cref="ConsoleOptions.SilentAfter"/> in red. A
/// failed beat is logged and tried at the next one (the database may be away; the aggregator rides that out too).
/// </summary>
public sealed partial class Heartbeat(IndexDatabase db, IOptions<ConsoleOptions> options, IConfiguration configuration, IServiceProvider services,
    TimeProvider time, ILogger<Heartbeat> log) : BackgroundService
{
    public static string Version { get; } =
        typeof(Heartbeat).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var row = new HubInstanceRow
        {
            InstanceId = services.GetService<HubInstance>()?.Id ?? $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}",
            Services = string.Join(",", ServicesOf(configuration)), Host = Environment.MachineName, Version = Version,
            ProcessId = Environment.ProcessId, StartedAt = time.GetUtcNow(),
        };
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, time);
        do
        {
            try
            {
                row.LastSeenAt = time.GetUtcNow();
                await db.BeatAsync(row, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogBeatFailed(ex);
            }
        } while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>What a process with this configuration runs.</summary>
    public static IEnumerable<string> ServicesOf(IConfiguration configuration)
    {
        if (configuration.GetSection(AggregatorOptions.Section).Get<AggregatorOptions>()?.Enabled ?? true)
        {
            yield return "aggregator";
            yield return "relay";
        }
        if (configuration.GetValue("Hub:CourtAdapter:Enabled", true)) yield return "court-adapter";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat could not be written; trying again at the next beat")]
    private partial void LogBeatFailed(Exception ex);
}
