using Hub.Aggregator.Applying;
using Hub.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hub.Aggregator.Retention;

/// <summary>Configuration section <c>Hub:Retention</c>: how long the inbox and the relayed outbox are kept.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Hub:Retention";

    /// <summary>Message ids kept to drop a redelivered message. Redelivery comes within minutes or hours (retries, the
    /// broker's consumer timeout of 30 minutes); after this window the ledger key (agency, source id, revision, kind),
    /// which is kept for good, still catches the same record sent again.</summary>
    public TimeSpan InboxFor { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Outbound events kept after the relay published them (for an operator to look back at).</summary>
    public TimeSpan PublishedOutboxFor { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Rows deleted per statement: small, so a prune never holds locks the aggregator waits for.</summary>
    public int BatchSize { get; set; } = 1_000;

    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Prunes what only idempotency and the relay needed, a small batch per statement until nothing is left to prune: inbox
/// ids older than <see cref="RetentionOptions.InboxFor"/>, published outbox rows older than
/// <see cref="RetentionOptions.PublishedOutboxFor"/>. Never pending events, never the ledger, the quarantine or the
/// audit log.
/// </summary>
public sealed partial class RetentionService(IndexDatabase db, TimeProvider time, IOptions<RetentionOptions> options, ILogger<RetentionService> log)
    : PeriodicSweep(options.Value.Interval, time, log)
{
    /// <summary>One pass: returns the inbox ids and outbox rows deleted.</summary>
    public async Task<(long Inbox, long Outbox)> PruneOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        var now = Time.GetUtcNow();
        var inbox = await PruneAllAsync(limit => db.PruneInboxAsync(now - o.InboxFor, limit, ct), o.BatchSize);
        var outbox = await PruneAllAsync(limit => db.PrunePublishedOutboxAsync(now - o.PublishedOutboxFor, limit, ct), o.BatchSize);
        return (inbox, outbox);
    }

    private static async Task<long> PruneAllAsync(Func<int, Task<int>> prune, int batchSize)
    {
        long total = 0;
        int deleted;
        do
        {
            deleted = await prune(batchSize);
            total += deleted;
        }
        while (deleted == batchSize);
        return total;
    }

    protected override string What => "Pruning the inbox and the published outbox";

    protected override async Task SweepAsync(CancellationToken ct)
    {
        var (inbox, outbox) = await PruneOnceAsync(ct);
        if (inbox + outbox > 0) LogPruned(Logger, inbox, outbox);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: pruned {Inbox} inbox ids and {Outbox} published outbox rows")]
    private static partial void LogPruned(ILogger logger, long inbox, long outbox);
}
