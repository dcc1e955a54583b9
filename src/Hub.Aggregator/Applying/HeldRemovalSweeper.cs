using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hub.Aggregator.Applying;

/// <summary>
/// Every <see cref="AggregatorOptions.HeldRemovalSweepInterval"/> (on the injected clock, so tests advance it), hands
/// the held removals to <see cref="RecordApplier.SweepHeldRemovalsAsync"/>: those past their deadline go to quarantine
/// even when no batch comes. A failed sweep is logged and tried again at the next tick.
/// </summary>
public sealed partial class HeldRemovalSweeper(RecordApplier applier, TimeProvider time, IOptions<AggregatorOptions> options, ILogger<HeldRemovalSweeper> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeldRemovalSweepInterval, time);
        do
        {
            try
            {
                var swept = await applier.SweepHeldRemovalsAsync(stoppingToken);
                if (swept.Applied + swept.Quarantined > 0) LogSwept(swept.Applied, swept.Quarantined, swept.Waiting);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(RecordApplier.Describe(ex));
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Held removals: {Applied} applied, {Quarantined} quarantined past their deadline, {Waiting} waiting")]
    private partial void LogSwept(int applied, int quarantined, int waiting);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping the held removals failed: {Error}; trying again at the next tick")]
    private partial void LogFailed(string error);
}
