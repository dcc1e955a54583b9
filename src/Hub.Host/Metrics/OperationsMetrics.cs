using System.Diagnostics.Metrics;
using Hub.Aggregator;
using Hub.Domain.Catalogue;
using Hub.Host.OperatorConsole;
using Hub.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Host.Metrics;

/// <summary>
/// The gauges operators alert on, on the meter <c>Hub.Operations</c>: queue depths (the console's
/// <see cref="IQueueMonitor"/>: the broker's management API in server mode, the Hub's own counters on the embedded
/// default), the outbox backlog and the age of its oldest pending event, quarantined records waiting, the age of each
/// Hub process's last heartbeat, and the time since each agency's last record. The broker and the index are read at
/// most once per <see cref="MetricsOptions.CacheFor"/>, when a scrape asks (<see cref="RefreshAsync"/>), never on a
/// timer; ages are computed at the scrape from the times read, so they keep growing between reads.
/// </summary>
public sealed partial class OperationsMetrics
{
    public const string MeterName = "Hub.Operations";

    private readonly IQueueMonitor _queues;
    private readonly IndexDatabase _db;
    private readonly AggregatorMetrics? _aggregator;
    private readonly AgencyRegistry _agencies;
    private readonly IOptions<MetricsOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<OperationsMetrics> _log;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private long? _readAt;                                                     // timestamp of the last read
    private QueueReport? _queueReport;
    private OutboxBacklogRow? _outbox;
    private IReadOnlyList<QuarantineGroupRow>? _quarantine;
    private IReadOnlyList<HubInstanceRow>? _instances;
    private Dictionary<string, DateTimeOffset>? _storedArrivals;               // read once per process

    public OperationsMetrics(IMeterFactory meters, IQueueMonitor queues, IndexDatabase db, IServiceProvider services, AgencyRegistry agencies,
        IOptions<MetricsOptions> options, TimeProvider time, ILogger<OperationsMetrics> log)
    {
        (_queues, _db, _aggregator, _agencies, _options, _time, _log) = (queues, db, services.GetService<AggregatorMetrics>(), agencies, options, time, log);
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("hub.queue.messages", QueueMessages, "{message}",
            "Messages in each Hub queue by state (ready, unacknowledged); role aggregator, error, skipped, subscriber or other");
        meter.CreateObservableGauge("hub.queue.consumers", QueueConsumers, "{consumer}", "Consumers of each Hub queue");
        meter.CreateObservableGauge("hub.queue.oldest_message.age", QueueOldestAge, "s", "Age of the oldest message in each Hub queue (none: no sample)");
        meter.CreateObservableGauge("hub.queue.management.reachable", ManagementReachable, "1",
            "Server mode: 1 when the broker's management API answered the last read, 0 when the queue figures are the Hub's own counts");
        meter.CreateObservableGauge("hub.outbox.pending", OutboxPending, "{event}", "Outbound events committed and not yet published by the relay");
        meter.CreateObservableGauge("hub.outbox.oldest_pending.age", OutboxOldestAge, "s", "Age of the oldest event waiting in the outbox (0: none waits)");
        meter.CreateObservableGauge("hub.quarantine.waiting", QuarantineWaiting, "{record}",
            "Quarantined records waiting for an operator, by reason code and agency (agency empty: no verified publisher)");
        meter.CreateObservableGauge("hub.instance.heartbeat.age", HeartbeatAge, "s",
            "Seconds since each Hub process with the index last wrote its heartbeat (processes seen in the last day)");
        meter.CreateObservableGauge("hub.agency.last_record.age", AgencyLastRecordAge, "s",
            "Seconds since the Hub last received a record published by each registered agency (agencies that ever sent one)");
    }

    /// <summary>Reads the figures again when the last read is older than <see cref="MetricsOptions.CacheFor"/>. A part that
    /// cannot be read in <see cref="MetricsOptions.ReadTimeout"/> is left out of the scrape (logged), the rest still answers.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        if (Fresh()) return;
        await _gate.WaitAsync(ct);
        try
        {
            if (Fresh()) return;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.Value.ReadTimeout);
            var token = timeout.Token;
            _queueReport = await ReadAsync("queues", () => _queues.ReadAsync(token), token);
            _outbox = await ReadAsync("outbox", () => _db.OutboxBacklogAsync(token), token);
            _quarantine = await ReadAsync("quarantine", () => _db.QuarantineGroupsAsync(token), token);
            _instances = await ReadAsync("heartbeats", () => _db.InstancesAsync(_time.GetUtcNow() - TimeSpan.FromDays(1), token), token);
            _storedArrivals ??= (await ReadAsync("agency arrivals", () => _db.LastRecordPerAgencyAsync(token), token))
                ?.ToDictionary(r => r.AgencyCode, r => r.LastAt, StringComparer.Ordinal);
            _readAt = _time.GetTimestamp();
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool Fresh() => _readAt is { } at && _time.GetElapsedTime(at) < _options.Value.CacheFor;

    private async Task<T?> ReadAsync<T>(string what, Func<Task<T>> read, CancellationToken ct) where T : class
    {
        try
        {
            return await read();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || ct.IsCancellationRequested)
        {
            LogReadFailed(ex, what);
            return null;
        }
    }

    private double SecondsSince(DateTimeOffset at) => Math.Max(0, (_time.GetUtcNow() - at).TotalSeconds);

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    private IEnumerable<Measurement<long>> QueueMessages()
    {
        foreach (var q in _queueReport?.Queues ?? [])
        {
            if (q.Ready is { } ready) yield return new(ready, Tag("queue", q.Name), Tag("role", q.Role), Tag("state", "ready"));
            if (q.Unacknowledged is { } unacked) yield return new(unacked, Tag("queue", q.Name), Tag("role", q.Role), Tag("state", "unacknowledged"));
        }
    }

    private IEnumerable<Measurement<int>> QueueConsumers() =>
        (_queueReport?.Queues ?? []).Where(q => q.Consumers is not null).Select(q => new Measurement<int>(q.Consumers!.Value, Tag("queue", q.Name), Tag("role", q.Role)));

    private IEnumerable<Measurement<double>> QueueOldestAge()
    {
        if (_queueReport is not { } report) yield break;
        var since = SecondsSince(report.At);
        foreach (var q in report.Queues.Where(q => q.OldestAgeSeconds is not null))
            yield return new(q.OldestAgeSeconds!.Value + since, Tag("queue", q.Name), Tag("role", q.Role));
    }

    private IEnumerable<Measurement<int>> ManagementReachable()
    {
        // the embedded default has no broker to reach: no sample rather than a 0 an alert would take for an outage
        if (_queueReport is { } r && (r.BrokerReachable || r.Problem is not null)) yield return new(r.BrokerReachable ? 1 : 0);
    }

    private IEnumerable<Measurement<long>> OutboxPending()
    {
        if (_outbox is { } o) yield return new(o.Pending);
    }

    private IEnumerable<Measurement<double>> OutboxOldestAge()
    {
        if (_outbox is { } o) yield return new(o.OldestPendingAt is { } at ? SecondsSince(at) : 0);
    }

    private IEnumerable<Measurement<long>> QuarantineWaiting() =>
        (_quarantine ?? []).Select(g => new Measurement<long>(g.Count, Tag("reason_code", g.ReasonCode), Tag("agency", g.AgencyCode ?? "")));

    // "instance" would clash with the label Prometheus gives every target
    private IEnumerable<Measurement<double>> HeartbeatAge() =>
        (_instances ?? []).Select(i => new Measurement<double>(SecondsSince(i.LastSeenAt), Tag("instance_id", i.InstanceId), Tag("host", i.Host),
            Tag("services", i.Services), Tag("version", i.Version)));

    private IEnumerable<Measurement<double>> AgencyLastRecordAge()
    {
        var last = new Dictionary<string, DateTimeOffset>(_storedArrivals ?? [], StringComparer.Ordinal);
        foreach (var (agency, at) in _aggregator?.LastRecordAt ?? new Dictionary<string, DateTimeOffset>())
            if (!last.TryGetValue(agency, out var known) || known < at) last[agency] = at;
        // only registered agencies: a label value per code in the registry, never one per whatever a message claimed
        return last.Where(a => _agencies.Find(a.Key) is not null).OrderBy(a => a.Key, StringComparer.Ordinal)
            .Select(a => new Measurement<double>(SecondsSince(a.Value), Tag("agency", a.Key)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "/metrics: the {What} could not be read; left out of this scrape")]
    private partial void LogReadFailed(Exception ex, string what);
}
