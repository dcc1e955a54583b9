using Hub.Aggregator;
using Microsoft.Extensions.Options;

namespace Hub.Host.OperatorConsole;

/// <summary>
/// The aggregator's error queues as the console works them — one per queue it consumes records from
/// (<see cref="AggregatorOptions.WorkedQueues"/>: <c>hub.aggregator_error</c> for single records,
/// <c>hub.aggregator.bulk_error</c> for the bulk path's batches), each read, indexed, replayed to its own queue and
/// discarded the same way: in server mode through <see cref="ConsoleBroker"/>; on the embedded default there is no
/// broker, the in-memory bus's error queues cannot be read, and <see cref="Available"/> is false.
/// </summary>
public sealed class FailedStore(IOptions<AggregatorOptions> aggregator, IServiceProvider services, Hub.Storage.IndexDatabase db, TimeProvider time)
{
    private ConsoleBroker? Broker => services.GetService<ConsoleBroker>();

    public bool Available => Broker is not null;

    /// <summary>The error queues, the single-record path's first.</summary>
    public IReadOnlyList<string> Queues => aggregator.Value.ErrorQueues;

    /// <summary>Why there is nothing to read on the embedded default.</summary>
    public string EmbeddedProblem =>
        "the embedded default runs an in-memory bus: a message or batch that fails after its retries is in the Hub's log, and there is no error queue to read. " +
        $"Server mode (RabbitMQ) keeps failed messages in {string.Join(" and ", Queues)}, where the console reads, replays and discards them";

    /// <summary>What each error queue holds, grouped, in the order of <see cref="Queues"/>: from the index
    /// (<see cref="FailedIndex"/>) when it counts exactly what the broker says the queue holds — one <c>GROUP BY</c>,
    /// however many messages; otherwise from a read of the queue (up to the scan limit), which replaces the queue's index
    /// when it read the whole queue.</summary>
    public async Task<IReadOnlyList<FailedGroups>> GroupsAsync(CancellationToken ct)
    {
        var all = new List<FailedGroups>(Queues.Count);
        foreach (var queue in Queues) all.Add(await GroupsAsync(queue, ct));
        return all;
    }

    private async Task<FailedGroups> GroupsAsync(string queue, CancellationToken ct)
    {
        var inQueue = await Guarded(() => Broker!.CountAsync(queue, ct));
        if (await IndexTrustedAsync(queue, inQueue, ct))
        {
            var (groups, agencies) = await db.FailedGroupsAsync(queue, ct);
            return new FailedGroups(queue, "index", inQueue, inQueue, groups.Select(g => new FailureGroup(g.GroupId, queue, g.ExceptionType, g.Cause, (int)g.Count,
                (int)g.Repeats, g.FirstFailedAt, g.LastFailedAt, agencies[g.GroupId].Order(StringComparer.Ordinal).ToList(), [])).ToList());
        }
        var scan = await ScanAndReindexAsync(queue, ct);
        return new FailedGroups(queue, "scan", scan.InQueue, scan.Messages.Count, scan.Messages.GroupBy(m => m.GroupId).Select(g =>
        {
            var first = g.First();
            return new FailureGroup(g.Key, first.Queue, first.ExceptionType, first.Cause, g.Count(), g.Count(m => m.Repeat),
                g.Min(m => m.FailedAt), g.Max(m => m.FailedAt), g.Select(m => m.AgencyCode ?? "?").Distinct().Order(StringComparer.Ordinal).ToList(), []);
        }).ToList());
    }

    /// <summary>Messages of one group (a group is of one queue: its id hashes the queue): from the index when it is whole
    /// (as <see cref="GroupsAsync(CancellationToken)"/>), else from a read of the queue; empty queues are not read.</summary>
    public async Task<IReadOnlyList<FailedMessage>> OfGroupAsync(string groupId, int limit, CancellationToken ct)
    {
        foreach (var queue in Queues)
        {
            var inQueue = await Guarded(() => Broker!.CountAsync(queue, ct));
            if (inQueue == 0) continue;
            var found = await IndexTrustedAsync(queue, inQueue, ct)
                ? (await db.FailedOfGroupAsync(queue, groupId, limit, ct)).Select(FailedIndex.Message).ToList()
                : (await ScanAndReindexAsync(queue, ct)).Messages.Where(m => m.GroupId == groupId).Take(limit).ToList();
            if (found.Count > 0) return found;
        }
        return [];
    }

    /// <summary>Sends the chosen messages back to the queue each failed on (<c>hub.aggregator_error</c> to
    /// <c>hub.aggregator</c>, <c>hub.aggregator.bulk_error</c> to <c>hub.aggregator.bulk</c>). <paramref name="one"/>: what
    /// is chosen is in one queue only (a message, a group), so the queues after the first that had it are not read.</summary>
    public Task<FailedAction> ReplayAsync(Func<FailedMessage, bool> chosen, bool one, string by, CancellationToken ct) =>
        ActAsync(queue => Broker!.ReplayAsync(queue, chosen, by, ct), one, ct);

    /// <summary>Takes the chosen messages out of their error queues for good (<paramref name="one"/> as for <see cref="ReplayAsync"/>).</summary>
    public Task<FailedAction> DiscardAsync(Func<FailedMessage, bool> chosen, bool one, string by, CancellationToken ct) =>
        ActAsync(queue => Broker!.DiscardAsync(queue, chosen, by, ct), one, ct);

    private async Task<FailedAction> ActAsync(Func<string, Task<FailedAction>> act, bool one, CancellationToken ct)
    {
        var done = new List<FailedMessage>();
        foreach (var queue in Queues)
        {
            if (await Guarded(() => Broker!.CountAsync(queue, ct)) == 0) continue;
            var acted = await Guarded(() => act(queue));
            await UnindexAsync(queue, acted);
            done.AddRange(acted.Done);
            if (one && acted.Done.Count > 0) break;
        }
        return new FailedAction(done);
    }

    /// <summary>One read of <paramref name="queue"/> (up to the scan limit), everything put back; the index untouched.</summary>
    public Task<ErrorQueueScan> ScanAsync(string queue, CancellationToken ct) => Guarded(() => Broker!.ScanAsync(queue, ct));

    /// <summary>One read of <paramref name="queue"/>, which replaces its index when it read the whole queue.</summary>
    private async Task<ErrorQueueScan> ScanAndReindexAsync(string queue, CancellationToken ct)
    {
        var scan = await ScanAsync(queue, ct);
        if (scan.Complete && services.GetService<FailedIndex>() is not null)
            await db.ReindexFailedAsync(queue, scan.Messages.Select(m => FailedIndex.Row(m, time.GetUtcNow())).ToList(), ct);
        return scan;
    }

    private async Task<bool> IndexTrustedAsync(string queue, long inQueue, CancellationToken ct) =>
        services.GetService<FailedIndex>() is not null && await db.CountFailedAsync(queue, ct) == inQueue;

    /// <summary>What left the queue leaves the index (a replayed message that fails again is indexed again by its move).</summary>
    private async Task UnindexAsync(string queue, FailedAction done)
    {
        if (services.GetService<FailedIndex>() is not null)
            await db.UnindexFailedAsync(queue, done.Done.Select(m => m.Id).ToList(), CancellationToken.None);
    }

    /// <summary>The broker away (refused, closed, timed out) is the operator's "try again later", not a failure of the Hub;
    /// whatever was not acknowledged stays in the error queue.</summary>
    private static async Task<T> Guarded<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.AlreadyClosedException
                                       or RabbitMQ.Client.Exceptions.OperationInterruptedException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new BrokerUnavailableException(ex);
        }
    }
}

/// <summary>The groups of one error queue: from the <c>index</c> or a <c>scan</c> of the queue; <see cref="Read"/> of
/// <see cref="InQueue"/> messages counted.</summary>
public sealed record FailedGroups(string Queue, string Source, long InQueue, long Read, IReadOnlyList<FailureGroup> Groups);

/// <summary>The broker could not be reached or dropped the console's channel: nothing acknowledged, nothing lost.</summary>
public sealed class BrokerUnavailableException(Exception inner)
    : Exception("the broker cannot be reached (or closed the console's channel); nothing was changed that the broker did not confirm", inner);
