using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Hub.Integration.Tests;

/// <summary>A plain RabbitMQ.Client connection into a test vhost: what a non-.NET agency or subscriber would use.</summary>
internal sealed class RawBroker : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;

    private RawBroker(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public static async Task<RawBroker> ConnectAsync(Uri amqp)
    {
        var connection = await new ConnectionFactory { Uri = amqp }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return new RawBroker(connection, channel);
    }

    /// <summary>A private queue bound to the Hub's event exchange <c>hub.events</c> with these routing-key patterns, as a
    /// subscriber's queue is bound (<c>listed.#</c>, <c>rejected.food-35</c>).</summary>
    public async Task<string> SubscribeEventsAsync(params string[] bindingKeys)
    {
        await _channel.ExchangeDeclareAsync("hub.events", ExchangeType.Topic, durable: true, autoDelete: false);
        var q = await _channel.QueueDeclareAsync(queue: "", durable: false, exclusive: true, autoDelete: true);
        foreach (var key in bindingKeys) await _channel.QueueBindAsync(q.QueueName, "hub.events", key);
        return q.QueueName;
    }

    /// <summary>The next message on the queue that matches, or null: the event itself for the Hub's plain-JSON events,
    /// the envelope's <c>message</c> for a MassTransit one.</summary>
    public async Task<JsonElement?> NextAsync(string queue, Func<JsonElement, bool> match)
    {
        while (await _channel.BasicGetAsync(queue, autoAck: true) is { } got)
        {
            var root = JsonDocument.Parse(got.Body.ToArray()).RootElement;
            var message = root.TryGetProperty("messageType", out _) && root.TryGetProperty("message", out var inner) ? inner : root;
            if (match(message)) return message;
        }
        return null;
    }

    /// <summary>The routing key, properties and body of the next message on the queue, or null when it is empty.</summary>
    public async Task<BasicGetResult?> GetAsync(string queue) => await _channel.BasicGetAsync(queue, autoAck: true);

    /// <summary>Publishes and waits for the broker's confirm. As an agency would: to the exchange the Hub declared (an
    /// agency user may configure nothing), with <paramref name="userId"/> as the AMQP <c>user_id</c> when given.</summary>
    public async Task PublishAsync(string exchange, string body, string contentType, string? userId = null, IDictionary<string, object?>? headers = null)
    {
        var props = new BasicProperties
        {
            ContentType = contentType, DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString(), UserId = userId, Headers = headers,
        };
        await _channel.BasicPublishAsync(exchange, "", mandatory: false, props, Encoding.UTF8.GetBytes(body));
    }

    /// <summary>Up to <paramref name="count"/> messages from the head of the queue; they go back, in their places, at once.</summary>
    public async Task<List<BasicGetResult>> PeekAsync(string queue, int count = 1)
    {
        var got = new List<BasicGetResult>();
        while (got.Count < count && await _channel.BasicGetAsync(queue, autoAck: false) is { } next) got.Add(next);
        if (got.Count > 0) await _channel.BasicNackAsync(got[^1].DeliveryTag, multiple: true, requeue: true);
        return got;
    }

    /// <summary>The messages ready in a queue as the broker counts them now (0 when there is no such queue).</summary>
    public async Task<uint> CountAsync(string queue)
    {
        await using var channel = await _connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    /// <summary>A durable queue of the test's own, bound to <paramref name="exchange"/>: it gets a copy of what is published there.</summary>
    public async Task BindQueueAsync(string queue, string exchange)
    {
        await _channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await _channel.QueueBindAsync(queue, exchange, "");
    }

    /// <summary>Why the broker closed the channel (AMQP reply code and text), or null while it is open.</summary>
    public ShutdownEventArgs? ChannelClosedBecause => _channel.CloseReason;

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
