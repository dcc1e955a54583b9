using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hub.Aggregator.Applying;

/// <summary>
/// Every <see cref="AggregatorOptions.HeldRemovalSweepInterval"/> (on the injected clock, so tests advance it), hands
/// the held removals to <see cref="RecordApplier.SweepHeldRemovalsAsync"/>: those past their deadline go to quarantine
/// even when no batch comes. A failed sweep is logged and tried again at the next tick.
/// </summary>
public sealed partial class HeldRemovalSweeper(RecordApplier applier, TimeProvider time, IOptions<AggregatorOptions> options, ILogger<HeldRemovalSweeper> log)
    : PeriodicSweep(options.Value.HeldRemovalSweepInterval, time, log)
{
    protected override string What => "Sweeping the held removals";

    protected override async Task SweepAsync(CancellationToken ct)
    {
        var swept = await applier.SweepHeldRemovalsAsync(ct);
        if (swept.Applied + swept.Quarantined > 0) LogSwept(Logger, swept.Applied, swept.Quarantined, swept.Waiting);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Held removals: {Applied} applied, {Quarantined} quarantined past their deadline, {Waiting} waiting")]
    private static partial void LogSwept(ILogger logger, int applied, int quarantined, int waiting);
}
