using Hub.Storage;
using Microsoft.Extensions.Logging;

namespace Hub.Aggregator.Applying;

/// <summary>
/// Whether the aggregator can reach the index database, as its last batch found: when it cannot, the aggregator holds
/// its batch and probes with back-off (0.5 s doubling to 15 s) until the database answers. The health check reads it,
/// so <c>/health/ready</c> says the aggregator is paused, since when and why.
/// </summary>
public sealed partial class IndexAvailability(IndexDatabase db, TimeProvider time, ILogger<IndexAvailability> log)
{
    private static readonly TimeSpan FirstProbe = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LongestProbe = TimeSpan.FromSeconds(15);
    private readonly Lock _gate = new();

    public sealed record Pause(DateTimeOffset Since, string Error, int RecordsHeld);

    /// <summary>Null while the database answers.</summary>
    public Pause? Paused { get; private set; }

    public void Lost(string error, int recordsHeld)
    {
        lock (_gate) Paused = new Pause(Paused?.Since ?? time.GetUtcNow(), error, recordsHeld);
    }

    /// <summary>Probes until the database answers; then it is available again.</summary>
    public async Task WaitUntilAnswersAsync(CancellationToken ct)
    {
        var delay = FirstProbe;
        for (var probe = 1; ; probe++)
        {
            await Task.Delay(delay, time, ct);
            try
            {
                await db.PingAsync(ct);
                lock (_gate) Paused = null;
                return;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                if (probe % 10 == 0) LogStillDown(probe, RecordApplier.Describe(ex));
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestProbe.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The index database still does not answer after {Probes} probes: {Error}")]
    private partial void LogStillDown(int probes, string error);
}
