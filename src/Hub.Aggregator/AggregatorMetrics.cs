using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Hub.Aggregator.Applying;

namespace Hub.Aggregator;

/// <summary>
/// The aggregator's instruments, on the meter <c>Hub.Aggregator</c> (any OpenTelemetry or dotnet-counters listener
/// can read them): records by outcome, batch size and duration, events relayed from the outbox. Also remembers when a
/// record of each agency last reached this process's aggregator (<see cref="LastRecordAt"/>), for the gauge of silent
/// agencies at <c>/metrics</c>.
/// </summary>
public sealed class AggregatorMetrics
{
    public const string MeterName = "Hub.Aggregator";
    public const string RecordsName = "hub.aggregator.records";
    public const string PublishedName = "hub.aggregator.outbox.published";

    private readonly Counter<long> _records;
    private readonly Histogram<double> _batchDuration;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _relayed;
    private readonly Counter<long> _split;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastRecordAt = new(StringComparer.Ordinal);

    public Meter Meter { get; }

    /// <summary>When a record published by each agency (as the transport vouched for it) last reached this process's
    /// aggregator, whatever became of it (applied, duplicate, quarantined, held).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> LastRecordAt => _lastRecordAt;

    /// <param name="meters">The host's meter factory; without one (tests, tools) a meter of its own.</param>
    public AggregatorMetrics(IMeterFactory? meters = null)
    {
        var meter = Meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _records = meter.CreateCounter<long>(RecordsName, "{record}", "Inbound records by outcome: applied, duplicate, rejected (quarantined) or held (a removal waiting for its listing)");
        _batchDuration = meter.CreateHistogram<double>("hub.aggregator.batch.duration", "ms", "Time to apply one batch, reads to commit");
        _batchSize = meter.CreateHistogram<int>("hub.aggregator.batch.size", "{record}", "Records in one batch");
        _relayed = meter.CreateCounter<long>(PublishedName, "{event}", "Outbound events the relay published from the outbox");
        _split = meter.CreateCounter<long>("hub.aggregator.batch.split", "{batch}",
            "Batches that failed whole for a reason no rule foresaw and were applied in halves to find the records at fault");
    }

    internal void BatchApplied(int size, BatchOutcome outcome, double elapsedMs)
    {
        Counted(outcome);
        _batchSize.Record(size);
        _batchDuration.Record(elapsedMs);
    }

    internal void BatchSplit() => _split.Add(1);

    /// <summary>A batch reached the aggregator at <paramref name="at"/>: each agency in it was heard from.</summary>
    internal void Arrived(IReadOnlyList<Incoming> batch, DateTimeOffset at)
    {
        foreach (var agency in batch.Select(i => i.PublisherAgency).OfType<string>().Distinct(StringComparer.Ordinal))
            _lastRecordAt.AddOrUpdate(agency, at, (_, seen) => seen > at ? seen : at);
    }

    internal void Counted(BatchOutcome outcome)
    {
        if (outcome.Applied > 0) _records.Add(outcome.Applied, new KeyValuePair<string, object?>("outcome", "applied"));
        if (outcome.Duplicates > 0) _records.Add(outcome.Duplicates, new KeyValuePair<string, object?>("outcome", "duplicate"));
        if (outcome.Rejected > 0) _records.Add(outcome.Rejected, new KeyValuePair<string, object?>("outcome", "rejected"));
        if (outcome.Held > 0) _records.Add(outcome.Held, new KeyValuePair<string, object?>("outcome", "held"));
    }

    internal void Relayed(int count)
    {
        if (count > 0) _relayed.Add(count);
    }
}
