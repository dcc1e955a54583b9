using Hub.Storage;
using Microsoft.Extensions.Hosting;

namespace Hub.Aggregator.Lifecycle;

/// <summary>
/// A backfill of what a SQL migration cannot compute (it is computed in .NET): once after start, a page at a time, by
/// one Hub process at a time — a lease, renewed after every page, so that another process waits rather than does the
/// same. A failure is retried with back-off until the backfill is done or the Hub stops.
/// </summary>
public abstract class LeasedBackfill(IndexDatabase db, HubInstance instance, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan LeaseFor = TimeSpan.FromMinutes(5);

    protected IndexDatabase Db { get; } = db;

    /// <summary>The lease's name, one per backfill.</summary>
    protected abstract string Lease { get; }

    /// <summary>The pages, each written when it is yielded: how many rows it changed.</summary>
    protected abstract IAsyncEnumerable<int> PagesAsync(CancellationToken ct);

    protected abstract void LogDone(int count);

    protected abstract void LogFailed(Exception ex, double delaySeconds);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                if (!await Db.TakeLeaseAsync(Lease, instance.Id, LeaseFor, stoppingToken)) return;   // another process does it
                var total = 0;
                await foreach (var given in PagesAsync(stoppingToken))
                {
                    total += given;
                    await Db.TakeLeaseAsync(Lease, instance.Id, LeaseFor, stoppingToken);
                }
                await Db.ReleaseLeaseAsync(Lease, instance.Id, stoppingToken);
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
}
