using Hub.Domain.Subscriptions;
using Hub.Storage;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Hub.Host.Subscribers;

/// <summary>
/// The broker side of subscriptions (server mode): the topic exchange every outbound event goes to, declared at start so
/// that subscribers can bind before the first event; and each subscriber's own durable queue with the bindings its
/// subscription comes to. A change binds the new keys before it unbinds the old ones, on the same queue, so nothing
/// already queued is lost and nothing matching both is missed. A queue deleted by hand is declared again at the next
/// start, with all its bindings, and reported (log, <c>recreatedAt</c> in the operator API). Ending a subscription
/// unbinds the queue and keeps it, with what it holds, for the subscriber to drain.
/// </summary>
public sealed partial class SubscriberTopology(BrokerConnection broker, SubscriptionDirectory directory, IndexDatabase db, TimeProvider time,
    ILogger<SubscriberTopology> log) : BackgroundService
{
    /// <summary>At start, and again with back-off until it succeeds: the broker (or the index) may not answer yet, and a
    /// Hub that cannot reach them keeps running and says so (the bus's health check), it does not stop.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await DeclareExchangeAsync(stoppingToken);
                foreach (var s in await directory.AllAsync(stoppingToken))
                    await SyncAsync(s, stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(attempt, 6))));
                LogSyncFailed(ex, attempt, delay.TotalSeconds);
                try { await Task.Delay(delay, time, stoppingToken); } catch (OperationCanceledException) { return; }
            }
        }
    }

    public async Task DeclareExchangeAsync(CancellationToken ct)
    {
        var channel = await broker.RentAsync(ct);
        try
        {
            await channel.ExchangeDeclareAsync(EventRouting.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
        }
        finally
        {
            await broker.ReturnAsync(channel);
        }
    }

    /// <summary>Declares the subscriber's queue and brings its bindings to what its subscription says; the row as stored.</summary>
    public async Task<SubscriberQueueRow> SyncAsync(ResolvedSubscription s, CancellationToken ct)
    {
        var previous = (await db.SubscriberQueuesAsync(ct)).FirstOrDefault(q => q.AgencyCode == s.Agency.Code);
        var applied = Keys(previous);
        var wanted = s.BindingKeys.Distinct().ToList();
        var existed = await ExistsAsync(s.Queue, ct);
        DateTimeOffset? recreated = null;
        if (!existed && previous is not null)
        {
            recreated = time.GetUtcNow();
            LogRecreated(s.Queue, s.Agency.Code);
        }
        var channel = await broker.RentAsync(ct);
        try
        {
            // one consumer at a time receives: a subscriber running two keeps the per-subject order (queue arguments are
            // fixed at the first declare, so this is set from the start)
            await channel.QueueDeclareAsync(s.Queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-single-active-consumer"] = true }, cancellationToken: ct);
            // new bindings first: an event matching the old and the new subscription keeps arriving meanwhile
            foreach (var key in wanted)
                await channel.QueueBindAsync(s.Queue, EventRouting.Exchange, key, cancellationToken: ct);
            foreach (var key in applied.Except(wanted))
                await channel.QueueUnbindAsync(s.Queue, EventRouting.Exchange, key, cancellationToken: ct);
        }
        finally
        {
            await broker.ReturnAsync(channel);
        }
        var row = new SubscriberQueueRow
        {
            AgencyCode = s.Agency.Code, Queue = s.Queue, BindingKeys = string.Join('\n', wanted), SyncedAt = time.GetUtcNow(), RecreatedAt = recreated,
        };
        await db.SaveSubscriberQueueAsync(row, ct);
        LogSynced(s.Queue, wanted.Count, applied.Except(wanted).Count());
        return row;
    }

    /// <summary>A subscription ended: its queue keeps what it holds and receives nothing more.</summary>
    public async Task UnbindAsync(string agency, CancellationToken ct)
    {
        var previous = (await db.SubscriberQueuesAsync(ct)).FirstOrDefault(q => string.Equals(q.AgencyCode, agency, StringComparison.OrdinalIgnoreCase));
        if (previous is null) return;
        var channel = await broker.RentAsync(ct);
        try
        {
            foreach (var key in Keys(previous))
                await channel.QueueUnbindAsync(previous.Queue, EventRouting.Exchange, key, cancellationToken: ct);
        }
        finally
        {
            await broker.ReturnAsync(channel);
        }
        previous.BindingKeys = "";
        previous.SyncedAt = time.GetUtcNow();
        await db.SaveSubscriberQueueAsync(previous, ct);
    }

    private async Task<bool> ExistsAsync(string queue, CancellationToken ct)
    {
        // a passive declare of a missing queue closes its channel: this one is not given back
        var channel = await broker.RentAsync(ct);
        try
        {
            await channel.QueueDeclarePassiveAsync(queue, ct);
            await broker.ReturnAsync(channel);
            return true;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            await channel.DisposeAsync();
            return false;
        }
    }

    private static List<string> Keys(SubscriberQueueRow? row) =>
        row is null ? [] : row.BindingKeys.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscriber queue {Queue} of {Agency} was missing (deleted by hand?) and was declared again with all its bindings; events published while it was missing did not reach it")]
    private partial void LogRecreated(string queue, string agency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Declaring the subscriber queues failed (attempt {Attempt}); trying again in {DelaySeconds} s")]
    private partial void LogSyncFailed(Exception ex, int attempt, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscriber queue {Queue} bound with {Bound} keys ({Unbound} removed)")]
    private partial void LogSynced(string queue, int bound, int unbound);
}
