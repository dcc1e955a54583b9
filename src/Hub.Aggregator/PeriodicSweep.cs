using Hub.Aggregator.Applying;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hub.Aggregator;

/// <summary>
/// A background sweep on the injected clock (so tests advance it rather than wait): once at start, then every
/// <c>interval</c>. A failed sweep is logged and tried again at the next tick; <see cref="StoppedAsync"/> runs at shutdown.
/// The held-removal sweep, the expiry sweep and retention share it.
/// </summary>
public abstract partial class PeriodicSweep(TimeSpan interval, TimeProvider time, ILogger log) : BackgroundService
{
    protected ILogger Logger { get; } = log;
    protected TimeProvider Time { get; } = time;

    /// <summary>What the sweep does, for the log ("sweeping the held removals").</summary>
    protected abstract string What { get; }

    protected abstract Task SweepAsync(CancellationToken ct);

    /// <summary>At shutdown, after the last sweep (e.g. give up a lease).</summary>
    protected virtual Task StoppedAsync() => Task.CompletedTask;

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, Time);
        try
        {
            do
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogFailed(Logger, What, RecordApplier.Describe(ex));
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await StoppedAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What} failed: {Error}; trying again at the next tick")]
    private static partial void LogFailed(ILogger logger, string what, string error);
}
