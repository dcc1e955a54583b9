using Hub.Aggregator.Applying;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hub.Aggregator.Lifecycle;

/// <summary>
/// Every <see cref="AggregatorOptions.ExpirySweepInterval"/> (on the injected clock, so tests advance it), hands the
/// listings whose term ran out to <see cref="ListingExpiry.SweepAsync"/>: they end although nobody acts. Several Hub
/// processes may run it; the lease lets one sweep. A failed sweep is logged and tried again at the next tick; at
/// shutdown the lease is given up, so another process takes over at its next tick rather than when the lease lapses.
/// </summary>
public sealed partial class ExpirySweeper(ListingExpiry expiry, TimeProvider time, IOptions<AggregatorOptions> options, ILogger<ExpirySweeper> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ExpirySweepInterval, time);
        try
        {
            do
            {
                try
                {
                    await expiry.SweepAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogFailed(RecordApplier.Describe(ex));
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await ReleaseAsync();
        }
    }

    private async Task ReleaseAsync()
    {
        // shutdown is under way: a short budget of its own, and a failure only means the lease lapses by itself
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);
        try
        {
            await expiry.ReleaseAsync(cts.Token);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(RecordApplier.Describe(ex));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping expired listings failed: {Error}; trying again at the next tick")]
    private partial void LogFailed(string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Giving up the expiry lease at shutdown failed: {Error}; it lapses by itself")]
    private partial void LogReleaseFailed(string error);
}
