using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Hub.Aggregator.Consumers;
using Hub.Host.Composition;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Hub.Host.OperatorConsole;

/// <summary>What one read of an error queue found: the messages it read, and how many the queue holds.</summary>
public sealed record ErrorQueueScan(string Queue, long InQueue, IReadOnlyList<FailedMessage> Messages)
{
    public bool Complete => Messages.Count >= InQueue;
}

/// <summary>What a replay or a discard did: the messages it acted on.</summary>
public sealed record FailedAction(IReadOnlyList<FailedMessage> Done);

/// <summary>
/// The console's own AMQP connection (server mode), as the Hub's broker user: it reads error queues by consuming
/// without acknowledging — the messages go back to the queue, in their places, when its channel closes — and replays
/// (publishes a copy to the queue's own exchange with publisher confirms, then acknowledges the original) or discards
/// (acknowledges) the ones an operator chose. One operation at a time per process, so two operators never hold each
/// other's messages. Also looks at the head of a queue for the age of its oldest message.
/// </summary>
public sealed partial class ConsoleBroker(BrokerAddress address, string? caFile, AuditPublishers hub, IOptions<ConsoleOptions> options, TimeProvider time,
    ILogger<ConsoleBroker> log) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    private async Task<IChannel> ChannelAsync(bool confirms, CancellationToken ct)
    {
        if (_connection is not { IsOpen: true })
        {
            if (_connection is not null) await _connection.DisposeAsync();
            _connection = null;
            _connection = await address.CreateFactory(caFile, "hub-console").CreateConnectionAsync(ct);
        }
        return await _connection.CreateChannelAsync(new CreateChannelOptions(confirms, confirms), ct);
    }

    /// <summary>How many messages <paramref name="queue"/> holds, as the broker says (0 when there is no such queue yet).</summary>
    public async Task<long> CountAsync(string queue, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var channel = await ChannelAsync(confirms: false, ct);
            return (await channel.QueueDeclarePassiveAsync(queue, ct)).MessageCount;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads up to <see cref="ConsoleOptions.FailedScanLimit"/> messages of <paramref name="queue"/> and puts them back.</summary>
    public Task<ErrorQueueScan> ScanAsync(string queue, CancellationToken ct) =>
        WithQueueAsync(queue, (_, held) => Task.FromResult(held.Scan), confirms: false, ct);

    /// <summary>Sends the chosen messages back to the queue they failed on, marked with one more replay, and takes them
    /// out of the error queue (only once the broker confirmed the copy). The rest stay where they were. The copy is the
    /// Hub's publish — its user as <c>user_id</c>, which is all the broker lets a user that is no impersonator set — and
    /// names in <see cref="Hub.Domain.Access.BrokerUsers.VerifiedPublisherHeader"/> the publisher the broker vouched for
    /// when the message first came (<see cref="VouchedPublisher"/>): the aggregator takes it as published by that agency,
    /// and by no other.</summary>
    public async Task<FailedAction> ReplayAsync(string queue, Func<FailedMessage, bool> chosen, string by, CancellationToken ct)
    {
        var done = new List<FailedMessage>();
        await WithQueueAsync(queue, async (channel, scan) =>
        {
            var target = FailedMessages.SourceQueueOf(queue);
            foreach (var (message, delivery) in scan.Deliveries)
            {
                if (!chosen(message)) continue;
                var properties = new BasicProperties(delivery.Properties) { Headers = Replayed(delivery.Properties.Headers, message.Replays + 1, by) };
                VouchedPublisher.Vouch(properties, delivery.Properties, hub);
                // MassTransit binds an exchange of the queue's own name to it; the Hub's users may not write to amq.default
                await channel.BasicPublishAsync(target, "", mandatory: false, properties, delivery.Body, ct);
                await channel.BasicAckAsync(delivery.Tag, multiple: false, ct);
                done.Add(message);
            }
            return scan.Scan;
        }, confirms: true, ct);
        LogActed("replayed", done.Count, queue, by);
        return new FailedAction(done);
    }

    /// <summary>Takes the chosen messages out of the error queue for good.</summary>
    public async Task<FailedAction> DiscardAsync(string queue, Func<FailedMessage, bool> chosen, string by, CancellationToken ct)
    {
        var done = new List<FailedMessage>();
        await WithQueueAsync(queue, async (channel, scan) =>
        {
            foreach (var (message, delivery) in scan.Deliveries)
            {
                if (!chosen(message)) continue;
                await channel.BasicAckAsync(delivery.Tag, multiple: false, ct);
                done.Add(message);
            }
            return scan.Scan;
        }, confirms: false, ct);
        LogActed("discarded", done.Count, queue, by);
        return new FailedAction(done);
    }

    /// <summary>How long ago the message at the head of <paramref name="queue"/> was sent or failed (its
    /// <c>MT-Fault-Timestamp</c>, its AMQP timestamp, or its envelope's <c>sentTime</c>); null when the queue is empty or
    /// the message says nothing. The message goes back to the head at once.</summary>
    public async Task<double?> OldestAgeSecondsAsync(string queue, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var channel = await ChannelAsync(confirms: false, ct);
            var got = await channel.BasicGetAsync(queue, autoAck: false, ct);
            if (got is null) return null;
            var at = SentAt(got.BasicProperties, got.Body.Span);
            await channel.BasicRejectAsync(got.DeliveryTag, requeue: true, ct);
            return at is { } t ? Math.Max(0, (time.GetUtcNow() - t).TotalSeconds) : null;
        }
        catch (OperationInterruptedException)
        {
            return null; // no such queue (any more)
        }
        finally
        {
            _gate.Release();
        }
    }

    private static DateTimeOffset? SentAt(IReadOnlyBasicProperties properties, ReadOnlySpan<byte> body)
    {
        if (properties.Headers is { } h && h.TryGetValue("MT-Fault-Timestamp", out var f) && f is byte[] b &&
            DateTimeOffset.TryParse(Encoding.UTF8.GetString(b), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var failed))
            return failed;
        if (properties.IsTimestampPresent() && properties.Timestamp.UnixTime > 0) return DateTimeOffset.FromUnixTimeSeconds(properties.Timestamp.UnixTime);
        try
        {
            var root = JsonDocument.Parse(body.ToArray()).RootElement;
            foreach (var name in new[] { "sentTime", "publishedAt", "occurredAt" })
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String &&
                    v.TryGetDateTimeOffset(out var sent)) return sent;
        }
        catch (JsonException)
        {
        }
        return null;
    }

    private sealed record Delivery(ulong Tag, IReadOnlyBasicProperties Properties, ReadOnlyMemory<byte> Body);

    private sealed record HeldScan(ErrorQueueScan Scan, IReadOnlyList<(FailedMessage Message, Delivery Delivery)> Deliveries);

    /// <summary>Consumes up to the scan limit without acknowledging, hands what it read to <paramref name="act"/>, then
    /// closes the channel: whatever <paramref name="act"/> did not acknowledge goes back to the queue.</summary>
    private async Task<ErrorQueueScan> WithQueueAsync(string queue, Func<IChannel, HeldScan, Task<ErrorQueueScan>> act, bool confirms, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var channel = await ChannelAsync(confirms, ct);
            QueueDeclareOk declared;
            try
            {
                declared = await channel.QueueDeclarePassiveAsync(queue, ct);
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
            {
                return new ErrorQueueScan(queue, 0, []); // MassTransit makes the error queue with its first failure
            }
            var limit = (int)Math.Min(declared.MessageCount, (uint)Math.Max(1, options.Value.FailedScanLimit));
            if (limit == 0) return await act(channel, new HeldScan(new ErrorQueueScan(queue, 0, []), []));
            var arrived = Channel.CreateUnbounded<Delivery>();
            await channel.BasicQosAsync(0, (ushort)Math.Min(limit, ushort.MaxValue), global: false, ct);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, ea) =>
            {
                arrived.Writer.TryWrite(new Delivery(ea.DeliveryTag, new BasicProperties(ea.BasicProperties), ea.Body.ToArray()));
                return Task.CompletedTask;
            };
            var tag = await channel.BasicConsumeAsync(queue, autoAck: false, consumer, ct);
            var read = new List<(FailedMessage, Delivery)>(limit);
            while (read.Count < limit)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                idle.CancelAfter(options.Value.FailedScanIdle);
                try
                {
                    var d = await arrived.Reader.ReadAsync(idle.Token);
                    read.Add((FailedMessages.Read(queue, d.Properties, d.Body.Span, hub), d));
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    break; // nothing more came (another consumer holds the rest): take what arrived
                }
            }
            await channel.BasicCancelAsync(tag, noWait: false, ct);
            while (arrived.Reader.TryRead(out var late)) read.Add((FailedMessages.Read(queue, late.Properties, late.Body.Span, hub), late));
            var scan = new ErrorQueueScan(queue, declared.MessageCount, read.Select(r => r.Item1).ToList());
            var result = await act(channel, new HeldScan(scan, read));
            await channel.CloseAsync(ct); // the rest go back, in their places
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private Dictionary<string, object?> Replayed(IDictionary<string, object?>? headers, int replays, string by)
    {
        var copy = headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(headers);
        copy[FailedMessages.ReplaysHeader] = replays;
        copy[FailedMessages.ReplayedAtHeader] = Encoding.UTF8.GetBytes(time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        copy[FailedMessages.ReplayedByHeader] = Encoding.UTF8.GetBytes(by);
        return copy;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Console: {Action} {Count} message(s) of {Queue} for {By}")]
    private partial void LogActed(string action, int count, string queue, string by);
}
