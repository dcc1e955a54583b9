namespace Hub.Aggregator;

/// <summary>Configuration section <c>Hub:Aggregator</c>.</summary>
public sealed class AggregatorOptions
{
    public const string Section = "Hub:Aggregator";

    /// <summary>Run the aggregator (consumers and outbox relay) in this process.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether persons the strong keys did not find are looked for by weak evidence (a masked ID number with the name;
    /// a name with a birth date, which goes to the review queue). Off, resolution uses strong keys only: each such
    /// person becomes a subject of its own and nothing is queued for review; their weak keys are still stored, and the
    /// subjects made while it was off stay apart until an operator merges them. For measuring what weak resolution costs (the entity-index benchmark) and as a
    /// switch to shed load in an emergency; not for normal running.
    /// </summary>
    public bool WeakResolution { get; set; } = true;

    /// <summary>Queue the aggregator consumes from.</summary>
    public string QueueName { get; set; } = "hub.aggregator";

    /// <summary>Queue the aggregator takes the heartbeats of Hub processes without an index from (<c>HubHeartbeat</c>):
    /// its own, so that a beat never waits behind a backlog of records.</summary>
    public string HeartbeatQueueName { get; set; } = "hub.heartbeats";

    /// <summary>Queue the aggregator consumes the batch contracts (the bulk path) from.</summary>
    public string BulkQueueName { get; set; } = "hub.aggregator.bulk";

    /// <summary>The aggregator's receive queues whose failed messages operators work — the single-record path's and the
    /// bulk path's, in that order: each moves what fails for good to its error queue (<see cref="ErrorQueueOf"/>), which
    /// the console indexes, lists, replays to the queue and discards. The heartbeat queue is not one of them (a beat that
    /// failed is worth nothing later).</summary>
    public IReadOnlyList<string> WorkedQueues => [QueueName, BulkQueueName];

    /// <summary>The error queue of <see cref="WorkedQueues"/>, in the same order.</summary>
    public IReadOnlyList<string> ErrorQueues => WorkedQueues.Select(ErrorQueueOf).ToList();

    /// <summary>The queue MassTransit moves a receive queue's failed messages to: <c>{queue}_error</c>.</summary>
    public static string ErrorQueueOf(string queue) => queue + ErrorSuffix;

    /// <summary>MassTransit's suffix of an error queue's name.</summary>
    public const string ErrorSuffix = "_error";

    /// <summary>Batch messages in flight at once on the bulk queue (its prefetch and concurrent-message limit): enough to
    /// keep the applier fed (a court's batch holds 500 records) while memory holds only a few batches.</summary>
    public int BulkPrefetch { get; set; } = 4;

    /// <summary>Most records applied in one transaction. Larger batches amortise the per-batch reads and the commit
    /// (measured in docs/BENCHMARKS.md: 500 beats 100 by about a third on PostgreSQL).</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>How long a partial batch waits for more records before it is applied: the most a lone record waits.</summary>
    public TimeSpan BatchTimeLimit { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Batches the endpoint lets fill while one is applied (its prefetch and concurrent-message limit are
    /// <c>BatchSize × (BatchConcurrency + 1)</c>). Batches are applied one at a time, in arrival order, whatever this says:
    /// records about one subject apply in order; partitioning comes with scale-out.</summary>
    public int BatchConcurrency { get; set; } = 1;

    /// <summary>How long a court's removal that arrived before the listing it ends waits for that listing; after it,
    /// the removal is quarantined (<c>no-such-listing</c>).</summary>
    public TimeSpan HeldRemovalDeadline { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How often the held removals are looked at: those past their deadline go to quarantine, those whose
    /// listing is there by now (applied by another process) are applied.</summary>
    public TimeSpan HeldRemovalSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often listings whose term ran out are ended (status and event <c>expired</c>). A term ends at midnight
    /// in Beijing; subscribers hear of it within this interval (the API shows <c>expired</c> from that midnight anyway).</summary>
    public TimeSpan ExpirySweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the process that sweeps expired listings holds the lease, renewed at each sweep and each batch;
    /// longer than <see cref="ExpirySweepInterval"/>, so the holder keeps it while it runs, and short enough that another
    /// process takes over soon after it dies.</summary>
    public TimeSpan ExpiryLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Most listings ended in one transaction (their imputed listings come with them).</summary>
    public int ExpiryBatchSize { get; set; } = 500;

    /// <summary>Most pending events the relay reads at once.</summary>
    public int OutboxBatchSize { get; set; } = 500;

    /// <summary>Events the relay publishes at once (about different subjects; one subject's events stay in order).</summary>
    public int OutboxPublishConcurrency { get; set; } = 32;

    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
