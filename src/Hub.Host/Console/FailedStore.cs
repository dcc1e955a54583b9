using Hub.Aggregator;
using Microsoft.Extensions.Options;

namespace Hub.Host.OperatorConsole;

/// <summary>
/// The aggregator's error queue (<c>{queue}_error</c>) as the console works it: in server mode through
/// <see cref="ConsoleBroker"/>; on the embedded default there is no broker, the in-memory bus's error queue cannot be
/// read, and <see cref="Available"/> is false.
/// </summary>
public sealed class FailedStore(IOptions<AggregatorOptions> aggregator, IServiceProvider services, Hub.Storage.IndexDatabase db, TimeProvider time)
{
    public const string EmbeddedProblem =
        "the embedded default runs an in-memory bus: a batch that fails after its retries is in the Hub's log, and there is no error queue to read. " +
        "Server mode (RabbitMQ) keeps failed messages in hub.aggregator_error, where the console reads, replays and discards them";

    private ConsoleBroker? Broker => services.GetService<ConsoleBroker>();

    public bool Available => Broker is not null;

    public string Queue => aggregator.Value.QueueName + "_error";

    public Task<ErrorQueueScan> ScanAsync(CancellationToken ct) => Guarded(() => Broker!.ScanAsync(Queue, ct));

    /// <summary>What the error queue holds, grouped: from the index (<see cref="FailedIndex"/>) when it counts exactly what
    /// the broker says the queue holds — one <c>GROUP BY</c>, however many messages; otherwise from a read of the queue
    /// (up to the scan limit), which replaces the index when it read the whole queue.</summary>
    public async Task<FailedGroups> GroupsAsync(CancellationToken ct)
    {
        var inQueue = await Guarded(() => Broker!.CountAsync(Queue, ct));
        if (services.GetService<FailedIndex>() is not null && await db.CountFailedAsync(Queue, ct) == inQueue)
        {
            var (groups, agencies) = await db.FailedGroupsAsync(Queue, ct);
            return new FailedGroups("index", inQueue, inQueue, groups.Select(g => new FailureGroup(g.GroupId, Queue, g.ExceptionType, g.Cause, (int)g.Count,
                (int)g.Repeats, g.FirstFailedAt, g.LastFailedAt, agencies[g.GroupId].Order(StringComparer.Ordinal).ToList(), [])).ToList());
        }
        var scan = await ScanAsync(ct);
        if (scan.Complete && services.GetService<FailedIndex>() is not null)
            await db.ReindexFailedAsync(Queue, scan.Messages.Select(m => FailedIndex.Row(m, time.GetUtcNow())).ToList(), ct);
        return new FailedGroups("scan", scan.InQueue, scan.Messages.Count, scan.Messages.GroupBy(m => m.GroupId).Select(g =>
        {
            var first = g.First();
            return new FailureGroup(g.Key, first.Queue, first.ExceptionType, first.Cause, g.Count(), g.Count(m => m.Repeat),
                g.Min(m => m.FailedAt), g.Max(m => m.FailedAt), g.Select(m => m.AgencyCode ?? "?").Distinct().Order(StringComparer.Ordinal).ToList(), []);
        }).ToList());
    }

    /// <summary>Messages of one group: from the index when it is whole (as <see cref="GroupsAsync"/>), else from a read of the queue.</summary>
    public async Task<IReadOnlyList<FailedMessage>> OfGroupAsync(string groupId, int limit, CancellationToken ct)
    {
        var inQueue = await Guarded(() => Broker!.CountAsync(Queue, ct));
        if (services.GetService<FailedIndex>() is not null && await db.CountFailedAsync(Queue, ct) == inQueue)
            return (await db.FailedOfGroupAsync(Queue, groupId, limit, ct)).Select(FailedIndex.Message).ToList();
        return (await ScanAsync(ct)).Messages.Where(m => m.GroupId == groupId).Take(limit).ToList();
    }

    public async Task<FailedAction> ReplayAsync(Func<FailedMessage, bool> chosen, string by, CancellationToken ct) =>
        await Unindexed(await Guarded(() => Broker!.ReplayAsync(Queue, chosen, by, ct)), ct);

    public async Task<FailedAction> DiscardAsync(Func<FailedMessage, bool> chosen, string by, CancellationToken ct) =>
        await Unindexed(await Guarded(() => Broker!.DiscardAsync(Queue, chosen, by, ct)), ct);

    /// <summary>What left the queue leaves the index (a replayed message that fails again is indexed again by its move).</summary>
    private async Task<FailedAction> Unindexed(FailedAction done, CancellationToken ct)
    {
        if (services.GetService<FailedIndex>() is not null)
            await db.UnindexFailedAsync(Queue, done.Done.Select(m => m.Id).ToList(), CancellationToken.None);
        return done;
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

/// <summary>The groups of an error queue: from the <c>index</c> or a <c>scan</c> of the queue; <see cref="Read"/> of
/// <see cref="InQueue"/> messages counted.</summary>
public sealed record FailedGroups(string Source, long InQueue, long Read, IReadOnlyList<FailureGroup> Groups);

/// <summary>The broker could not be reached or dropped the console's channel: nothing acknowledged, nothing lost.</summary>
public sealed class BrokerUnavailableException(Exception inner)
    : Exception("the broker cannot be reached (or closed the console's channel); nothing was changed that the broker did not confirm", inner);
