using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Hub.Storage;
using Hub.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

// Hub end-to-end ingest against a raw RabbitMQ.Client baseline, side by side in one run on one machine.
//   dotnet run -c Release --project bench/Hub.Bench -- [--notices N] [--rounds R] [--set Hub:Key=Value ...]
// Needs RabbitMQ and PostgreSQL (deploy/local/start-services.sh starts both).

namespace Hub.Bench;

internal static class Bench
{
    public static async Task<int> Main(string[] args)
    {
        // the host needs no content files here: every setting is given below
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_HUB_HOST", AppContext.BaseDirectory);
        var notices = Arg(args, "--notices", 20_000);
        var rounds = Arg(args, "--rounds", 2);
        Console.WriteLine($"Hub ingest benchmark: {notices:N0} court notices per run, {rounds} round(s), {Environment.ProcessorCount} cores");

        var body = Notices(1)[0].ToJsonString();
        var envelopeSize = Encoding.UTF8.GetByteCount(body) + 900; // MassTransit envelope around the canonical event
        Console.WriteLine($"court notice ~{Encoding.UTF8.GetByteCount(body)} B; baseline messages {envelopeSize} B (the size of a Hub message on the wire)");

        var results = new List<(double Raw, double Hub)>();
        for (var round = 1; round <= rounds; round++)
        {
            var raw = await RawBaseline(notices, envelopeSize);
            Console.WriteLine($"round {round}: raw RabbitMQ.Client   {raw,10:N0} msg/s   (persistent, publisher confirms, manual acks)");
            var hub = await HubEndToEnd(notices, args);
            Console.WriteLine($"round {round}: Hub end to end        {hub,10:N0} notices/s (HTTP court adapter → RabbitMQ → aggregator → PostgreSQL)");
            results.Add((raw, hub));
        }
        var ratios = results.Select(r => r.Hub / r.Raw).OrderBy(r => r).ToList();
        Console.WriteLine($"ratio Hub/raw per round: {string.Join(", ", ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; median {ratios[ratios.Count / 2]:0.00} (target ≥ 0.30)");
        return 0;
    }

    static async Task<double> RawBaseline(int n, int size)
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        var factory = new ConnectionFactory { Uri = vhost.AmqpUri };
        await using var pubConn = await factory.CreateConnectionAsync();
        await using var subConn = await factory.CreateConnectionAsync();
        await using var pub = await pubConn.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await using var sub = await subConn.CreateChannelAsync();
        await pub.ExchangeDeclareAsync("bench.raw", ExchangeType.Fanout, durable: true);
        await pub.QueueDeclareAsync("bench.raw", durable: true, exclusive: false, autoDelete: false);
        await pub.QueueBindAsync("bench.raw", "bench.raw", "");
        await sub.BasicQosAsync(0, 200, false);

        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(sub);
        consumer.ReceivedAsync += async (_, ea) =>
        {
            await sub.BasicAckAsync(ea.DeliveryTag, multiple: false);
            if (Interlocked.Increment(ref received) == n) done.TrySetResult();
        };
        await sub.BasicConsumeAsync("bench.raw", autoAck: false, consumer);

        var props = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, ContentType = "application/vnd.masstransit+json" };
        var sw = Stopwatch.StartNew();
        var window = new List<ValueTask>(256);
        for (var i = 0; i < n; i++)
        {
            window.Add(pub.BasicPublishAsync("bench.raw", "", mandatory: false, props, payload));
            if (window.Count == 256)
            {
                foreach (var t in window) await t;
                window.Clear();
            }
        }
        foreach (var t in window) await t;
        await done.Task.WaitAsync(TimeSpan.FromMinutes(10));
        return n / sw.Elapsed.TotalSeconds;
    }

    static async Task<double> HubEndToEnd(int n, string[] args)
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var hub = new WebApplicationFactory<global::Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Hub:Bus:Transport", "RabbitMq");
            b.UseSetting("ConnectionStrings:RabbitMq", vhost.AmqpUri.ToString());
            b.UseSetting("Hub:Storage:Provider", "Postgres");
            b.UseSetting("ConnectionStrings:Index", database.ConnectionString);
            b.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in Settings(args)) b.UseSetting(key, value);
            b.UseSetting("Logging:LogLevel:Hub", Environment.GetEnvironmentVariable("HUB_BENCH_LOG") ?? "Warning");
        });
        using var client = hub.CreateClient();
        client.Timeout = TimeSpan.FromMinutes(10);
        var index = hub.Services.GetRequiredService<IndexDatabase>();
        while (!(await client.GetAsync("/health/ready")).IsSuccessStatusCode) await Task.Delay(100);

        var all = Notices(n);
        const int perRequest = 500;
        var sw = Stopwatch.StartNew();
        var posts = new List<Task>();
        using var gate = new SemaphoreSlim(4); // a few court systems pushing at once
        for (var start = 0; start < n; start += perRequest)
        {
            var chunk = new JsonArray(all.Skip(start).Take(perRequest).Select(x => (JsonNode)x.DeepClone()).ToArray());
            await gate.WaitAsync();
            posts.Add(Post(chunk));
        }
        await Task.WhenAll(posts);
        var accepted = sw.Elapsed;
        while (await index.CountListingsAsync(CancellationToken.None) < n) await Task.Delay(25);
        Console.WriteLine($"  (adapter: all {n:N0} confirmed by the broker after {accepted.TotalSeconds:0.0} s; index complete after {sw.Elapsed.TotalSeconds:0.0} s)");
        return n / sw.Elapsed.TotalSeconds;

        async Task Post(JsonArray chunk)
        {
            try
            {
                using var content = new StringContent(chunk.ToJsonString(), Encoding.UTF8, "application/json");
                using var r = await client.PostAsync("/api/adapters/court/COURT-34-1122/notices", content);
                r.EnsureSuccessStatusCode();
            }
            finally { gate.Release(); }
        }
    }

    static List<JsonObject> Notices(int n) => Enumerable.Range(1, n).Select(i =>
    {
        var born = new DateOnly(1960, 1, 1).AddDays(i / 500);
        var body = $"341122{born:yyyyMMdd}{i % 500:D3}";
        var ric = body + Hub.Domain.Identifiers.ResidentIdNumber.CheckCharacter(body);
        return CourtNoticeJson.Company($"BENCH-{i}", TestIdentifiers.Uscc(i), $"安徽测试建设工程有限公司{i}", $"(2026)皖1122执{i}号", $"法人{i}", ric);
    }).ToList();

    /// <summary>`--set Key=Value` (repeatable): any Hub setting, e.g. --set Hub:Aggregator:BatchSize=500.</summary>
    static IEnumerable<(string, string)> Settings(string[] args) =>
        args.Select((a, i) => (a, i)).Where(x => x.a == "--set" && x.i + 1 < args.Length)
            .Select(x => args[x.i + 1].Split('=', 2)).Select(kv => (kv[0], kv.Length > 1 ? kv[1] : ""));

    static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
