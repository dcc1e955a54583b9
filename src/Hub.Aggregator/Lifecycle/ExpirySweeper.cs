using Hub.Aggregator.Applying;
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
    : PeriodicSweep(options.Value.ExpirySweepInterval, time, log)
{
    protected override string What => "Sweeping expired listings";

    protected override Task SweepAsync(CancellationToken ct) => expiry.SweepAsync(ct);

    protected override Task StoppedAsync() => ReleaseAsync();

    private async Task ReleaseAsync()
    {
        // shutdown is under way: a short budget of its own, and a failure only means the lease lapses by itself
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5), Time);
        try
        {
            await expiry.ReleaseAsync(cts.Token);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(Logger, RecordApplier.Describe(ex));
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Giving up the expiry lease at shutdown failed: {Error}; it lapses by itself")]
    private static partial void LogReleaseFailed(ILogger logger, string error);
}
