using Hub.Aggregator.Lifecycle;
using Hub.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Hub.Host.OperatorConsole;

/// <summary>
/// The heartbeat of a Hub process without the index database (the court adapter running alone, server mode): a small
/// <see cref="HubHeartbeat"/> on the bus every <see cref="ConsoleOptions.HeartbeatInterval"/>, expiring unread after
/// <see cref="ConsoleOptions.SilentAfter"/> (a beat older than that says nothing), which the aggregator records as the
/// process's row in <c>hub_instances</c> (<see cref="Hub.Aggregator.Consumers.HubHeartbeatConsumer"/>). A beat the broker
/// does not take is logged and tried at the next one.
/// </summary>
public sealed partial class BusHeartbeat(IBus bus, Hub.Aggregator.Consumers.AuditPublishers publishers, IOptions<ConsoleOptions> options, IConfiguration configuration, IServiceProvider services,
    TimeProvider time, ILogger<BusHeartbeat> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var id = services.GetService<HubInstance>()?.Id ?? $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        var runs = string.Join(",", Heartbeat.ServicesOf(configuration));
        var started = time.GetUtcNow();
        using var timer = new PeriodicTimer(o.HeartbeatInterval, time);
        do
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(o.SilentAfter);  // a beat that cannot be sent by then would say nothing
                await bus.Publish(new HubHeartbeat
                {
                    InstanceId = id, Services = runs, Host = Environment.MachineName, Version = Heartbeat.Version, ProcessId = Environment.ProcessId,
                    StartedAt = started, SentAt = time.GetUtcNow(),
                }, c =>
                {
                    c.TimeToLive = o.SilentAfter;
                    // as this process's own broker user, which the aggregator checks (the broker validates it)
                    if (publishers.OwnUser is { } user && c.TryGetPayload<RabbitMqSendContext>(out var rabbit)) rabbit.BasicProperties.UserId = user;
                }, timeout.Token);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat could not be sent on the bus; trying again at the next beat")]
    private partial void LogBeatFailed(Exception ex);
}
