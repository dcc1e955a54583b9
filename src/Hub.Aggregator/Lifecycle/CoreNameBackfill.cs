using Hub.Domain.Resolution;
using Hub.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hub.Aggregator.Lifecycle;

/// <summary>
/// Gives every organisation the index held before organisations carried their core name as a key (name search finds
/// them by it) that key: once after start, a thousand at a time, by one Hub process at a time (a lease). The core
/// name is computed in .NET (<see cref="OrganizationNames"/>), which a SQL migration cannot do.
/// </summary>
public sealed partial class CoreNameBackfill(IndexDatabase db, HubInstance instance, TimeProvider time, ILogger<CoreNameBackfill> log) : BackgroundService
{
    private const string Lease = "core-name-backfill";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                if (!await db.TakeLeaseAsync(Lease, instance.Id, TimeSpan.FromMinutes(5), stoppingToken)) return;   // another process does it
                var total = 0;
                int given;
                while ((given = await db.BackfillCoreNamesAsync(OrganizationNames.Core, 1_000, stoppingToken)) > 0)
                {
                    total += given;
                    await db.TakeLeaseAsync(Lease, instance.Id, TimeSpan.FromMinutes(5), stoppingToken);
                }
                await db.ReleaseLeaseAsync(Lease, instance.Id, stoppingToken);
                if (total > 0) LogDone(total);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, Math.Min(attempt, 8))));
                LogFailed(ex, delay.TotalSeconds);
                try { await Task.Delay(delay, time, stoppingToken); } catch (OperationCanceledException) { return; }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gave {Count} organisations their core-name key for name search")]
    private partial void LogDone(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Giving organisations their core-name key failed; trying again in {DelaySeconds} s")]
    private partial void LogFailed(Exception ex, double delaySeconds);
}
