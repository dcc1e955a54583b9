using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hub.Host.OperatorConsole;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Hub.Bench;

/// <summary>
/// `--failed-view [--failed N]` (default 100,000): N messages the aggregator cannot read are published to
/// <c>hub.judgment-defaulter-listed</c> on the real broker; the aggregator moves each to <c>hub.aggregator_error</c>
/// (indexed as it moves them); then the console's grouped view (<c>GET /api/operator/console/failed</c>) is timed over
/// HTTP, five times, and — for comparison — one read of the queue as the view did before the index (up to the scan
/// limit of 10,000). Target: the grouped view under 2 s at 100,000.
/// </summary>
internal static partial class Bench
{
    static async Task<int> FailedView(string[] args)
    {
        var n = Arg(args, "--failed", 100_000);
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var hub = HubHost(vhost, database, args);
        using var client = hub.CreateClient();
        await WaitReady(client);
        var maker = hub.Services.GetRequiredService<Hub.Domain.Access.AccessPolicy>().Resolve("operator:bench");
        var (_, key) = await hub.Services.GetRequiredService<ApiKeyService>().CreateAsync("operator:bench", "bench", maker, CancellationToken.None);
        client.DefaultRequestHeaders.Add(HubAuthenticationHandler.ApiKeyHeader, key);

        var moving = Stopwatch.StartNew();
        await using (var connection = await new ConnectionFactory { Uri = vhost.AmqpUri }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true, outstandingPublisherConfirmationsRateLimiter: null)))
        {
            var pending = new List<Task>(1_000);
            for (var i = 0; i < n; i++)
            {
                // two causes: not JSON at all, and JSON that is no envelope
                var body = Encoding.UTF8.GetBytes(i % 10 == 0 ? "[\"no envelope\", " + i + "]" : "{ not json " + i);
                var props = new BasicProperties
                {
                    ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString(),
                };
                pending.Add(channel.BasicPublishAsync("hub.judgment-defaulter-listed", "", false, props, body).AsTask());
                if (pending.Count == 1_000)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
            }
            await Task.WhenAll(pending);
        }
        var published = moving.Elapsed;
        while (await vhost.QueueDepthAsync("hub.aggregator_error") < n) await Task.Delay(500);
        var moved = moving.Elapsed;
        await hub.Services.GetRequiredService<FailedIndex>().FlushedAsync(CancellationToken.None);
        var indexed = await hub.Services.GetRequiredService<IndexDatabase>().CountFailedAsync("hub.aggregator_error", CancellationToken.None);
        Console.WriteLine($"{n:N0} unreadable messages published in {published.TotalSeconds:F1} s, all in hub.aggregator_error after {moved.TotalSeconds:F1} s; {indexed:N0} indexed");

        var times = new List<double>();
        JsonElement view = default;
        for (var round = 0; round < 6; round++)
        {
            var watch = Stopwatch.StartNew();
            view = await client.GetFromJsonAsync<JsonElement>("/api/operator/console/failed");
            if (round > 0) times.Add(watch.Elapsed.TotalMilliseconds); // the first warms the endpoint
        }
        var groups = view.GetProperty("groups").EnumerateArray().Select(g => $"{g.GetProperty("count").GetInt32():N0} × {g.GetProperty("exceptionType").GetString()}");
        Console.WriteLine($"grouped view ({view.GetProperty("source").GetString()}, {view.GetProperty("read").GetInt64():N0} of {view.GetProperty("inQueue").GetInt64():N0}): " +
                          string.Join(", ", groups));
        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"grouped view over HTTP: median {times[times.Count / 2]:F0} ms, min {times[0]:F0} ms, max {times[^1]:F0} ms (5 calls)"));

        var scan = Stopwatch.StartNew();
        var store = hub.Services.GetRequiredService<FailedStore>();
        var read = await store.ScanAsync(store.Queues[0], CancellationToken.None);
        Console.WriteLine($"for comparison, one read of the queue as before the index: {read.Messages.Count:N0} of {read.InQueue:N0} in {scan.Elapsed.TotalMilliseconds:F0} ms");
        return times[times.Count / 2] < 2_000 && view.GetProperty("inQueue").GetInt64() == n ? 0 : 1;
    }
}
