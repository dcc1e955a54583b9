using System.Diagnostics;
using Hub.Testing;
using RabbitMQ.Client;

namespace Hub.Bench;

/// <summary>
/// `--broker-costs`: what RabbitMQ spends per confirmed publish of a Hub-sized message, by where it goes — an exchange
/// with no bindings (the Hub's outbound events while nobody subscribes), a queue behind one exchange (the raw
/// baseline), a queue behind an exchange-to-exchange binding (MassTransit's topology: message-type exchange → queue
/// exchange → queue). Publish side only; nothing consumes.
/// </summary>
internal static class BrokerCosts
{
    public static async Task RunAsync(int n, int size)
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var connection = await new ConnectionFactory { Uri = vhost.AmqpUri }.CreateConnectionAsync();
        await using var ch = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        foreach (var exchange in new[] { "costs.unbound", "costs.direct", "costs.type", "costs.queue" })
            await ch.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
        await ch.QueueDeclareAsync("costs.q1", durable: true, exclusive: false, autoDelete: false);
        await ch.QueueDeclareAsync("costs.q2", durable: true, exclusive: false, autoDelete: false);
        await ch.QueueBindAsync("costs.q1", "costs.direct", "");
        await ch.ExchangeBindAsync("costs.queue", "costs.type", "");
        await ch.QueueBindAsync("costs.q2", "costs.queue", "");

        var payload = new byte[size];
        var props = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, ContentType = "application/vnd.masstransit+json" };
        var cases = new[]
        {
            ("(warm-up)", "costs.unbound"),
            ("exchange without bindings", "costs.unbound"),
            ("queue behind one exchange", "costs.direct"),
            ("queue behind exchange → exchange", "costs.type"),
        };
        foreach (var (name, exchange) in cases)
            await Measure(name, exchange, [ch], 256);
        await Measure("queue, 16 outstanding", "costs.direct", [ch], 16);
        // the way a Hub process publishes: from many concurrent callers, each awaiting its own confirm, on a few channels
        var channels = new List<IChannel>();
        for (var i = 0; i < 8; i++)
            channels.Add(await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)));
        await Measure("queue, 8 channels × 16 outstanding", "costs.direct", channels, 16);
        foreach (var c in channels) await c.DisposeAsync();

        async Task Measure(string name, string exchange, IReadOnlyList<IChannel> on, int outstanding)
        {
            await ch.QueuePurgeAsync("costs.q1");
            await ch.QueuePurgeAsync("costs.q2");
            var cpu = CpuUse.Start();
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(on.Select(c => PublishAsync(c, exchange, props, payload, n / on.Count, outstanding)));
            Console.WriteLine($"confirmed publish to {name,-34} {n / sw.Elapsed.TotalSeconds,8:N0} msg/s; CPU per message: {cpu.PerMessage(n)}");
        }
    }

    /// <summary>Publishes <paramref name="count"/> messages on one channel with confirms, at most
    /// <paramref name="outstanding"/> unconfirmed at a time.</summary>
    public static async Task PublishAsync(IChannel channel, string exchange, BasicProperties props, byte[] payload, int count, int outstanding)
    {
        var window = new List<ValueTask>(outstanding);
        for (var i = 0; i < count; i++)
        {
            window.Add(channel.BasicPublishAsync(exchange, "", mandatory: false, props, payload));
            if (window.Count < outstanding) continue;
            foreach (var t in window) await t;
            window.Clear();
        }
        foreach (var t in window) await t;
    }
}
