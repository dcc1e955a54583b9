using System.Collections.Concurrent;
using Hub.Aggregator;
using Hub.Contracts;
using MassTransit;

namespace Hub.Host.OperatorConsole;

/// <summary>
/// The Hub's own figures for the aggregator's queue where no broker can be asked (the embedded default's in-memory bus):
/// inbound records published in this process and received by the aggregator's endpoint, those in flight (received, not
/// yet done), rates over the last <see cref="RateWindow"/>, and the age of the oldest record not yet done.
/// </summary>
public sealed class BusCounters(TimeProvider time, Microsoft.Extensions.Options.IOptions<AggregatorOptions> aggregator) : IReceiveObserver, IPublishObserver
{
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    private static readonly HashSet<Type> Inbound =
    [
        typeof(JudgmentDefaulterListed), typeof(JudgmentDefaulterRemoved), typeof(AdministrativePenaltyRecorded), typeof(OrganizationRegistered),
        typeof(ListingDisputed), typeof(DisputeResolved), typeof(CreditRepairGranted), typeof(AuditRecorded),
    ];

    private long _published;
    private long _received;
    private long _done;
    private long _faulted;
    private readonly ConcurrentQueue<long> _waitingSince = new();           // publish times of records not yet received, in order
    private readonly ConcurrentDictionary<ReceiveContext, long> _inFlight = new();
    private readonly ConcurrentQueue<(long At, bool Published)> _recent = new();

    public sealed record Snapshot(long Ready, long InFlight, double PublishRate, double DeliverRate, double? OldestAgeSeconds, long Faulted);

    public Snapshot Read()
    {
        var now = time.GetTimestamp();
        var windowStart = now - (long)(RateWindow.TotalSeconds * time.TimestampFrequency);
        while (_recent.TryPeek(out var head) && head.At < windowStart) _recent.TryDequeue(out _);
        var recent = _recent.ToArray();
        var oldest = new[] { _waitingSince.TryPeek(out var w) ? w : (long?)null, _inFlight.IsEmpty ? null : _inFlight.Values.Min() }
            .Where(t => t is not null).Select(t => t!.Value).DefaultIfEmpty(long.MaxValue).Min();
        return new Snapshot(Math.Max(0, Interlocked.Read(ref _published) - Interlocked.Read(ref _received)), _inFlight.Count,
            recent.Count(r => r.Published) / RateWindow.TotalSeconds, recent.Count(r => !r.Published) / RateWindow.TotalSeconds,
            oldest == long.MaxValue ? null : time.GetElapsedTime(oldest, now).TotalSeconds, Interlocked.Read(ref _faulted));
    }

    private bool IsAggregatorQueue(ReceiveContext context) =>
        context.InputAddress?.AbsolutePath.TrimEnd('/').EndsWith("/" + aggregator.Value.QueueName, StringComparison.Ordinal) == true;

    public Task PreReceive(ReceiveContext context)
    {
        if (!IsAggregatorQueue(context)) return Task.CompletedTask;
        var now = time.GetTimestamp();
        Interlocked.Increment(ref _received);
        _waitingSince.TryDequeue(out _);
        _inFlight[context] = now;
        _recent.Enqueue((now, false));
        return Task.CompletedTask;
    }

    public Task PostReceive(ReceiveContext context) => Done(context, faulted: false);

    public Task ReceiveFault(ReceiveContext context, Exception exception) => Done(context, faulted: true);

    private Task Done(ReceiveContext context, bool faulted)
    {
        if (_inFlight.TryRemove(context, out _))
        {
            Interlocked.Increment(ref _done);
            if (faulted) Interlocked.Increment(ref _faulted);
        }
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class => Task.CompletedTask;

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class
    {
        if (!Inbound.Contains(typeof(T))) return Task.CompletedTask;
        var now = time.GetTimestamp();
        Interlocked.Increment(ref _published);
        _waitingSince.Enqueue(now);
        _recent.Enqueue((now, true));
        return Task.CompletedTask;
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}
