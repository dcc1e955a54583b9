using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Host.Security;
using Microsoft.AspNetCore.TestHost;
using Hub.Storage;
using Hub.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

// Hub end-to-end ingest against a raw RabbitMQ.Client baseline, side by side in one run on one machine.
//   dotnet run -c Release --project bench/Hub.Bench -- [--notices N] [--rounds R] [--warmup N] [--stages] [--audit-costs] [--fanout N [--fanout-receiving K]] [--set Hub:Key=Value ...]
// Checks before granting against a million subjects (CheckBench.cs):
//   dotnet run -c Release --project bench/Hub.Bench -- --checks [--subjects N] [--singles N] [--batches N] [--clients N] [--reload]
// The entity index at 10 million subjects: lookups, name searches, and what weak resolution costs (EntityBench.cs):
//   dotnet run -c Release --project bench/Hub.Bench -- --entities [--subjects N] [--lookups N] [--searches N] [--notices N] [--rounds R] [--reload]
// The embedded default (in-memory bus, SQLite) beside the raw baseline and the Hub in server mode (Embedded.cs):
//   dotnet run -c Release --project bench/Hub.Bench -- --embedded [--notices N] [--rounds R] [--embedded-dir DIR] [--embedded-only]
//   dotnet run -c Release --project bench/Hub.Bench -- --failed-view [--failed N]
// The bulk path (requests of 5,000 to the bulk door, batch messages of 500) beside the raw baseline, server mode and embedded (Bulk.cs):
//   dotnet run -c Release --project bench/Hub.Bench -- --bulk [--notices N] [--rounds R]
// `hub load` of N notices against a Hub.Host.dll process (server mode): wall time, CPU per notice per process, the Hub's memory (Bulk.cs):
//   dotnet run -c Release --project bench/Hub.Bench -- --bulk-load N [--bulk-dir DIR]
// Needs RabbitMQ and PostgreSQL (deploy/local/start-services.sh starts both).

namespace Hub.Bench;

internal static partial class Bench
{
    public static async Task<int> Main(string[] args)
    {
        // the host needs no content files here: every setting is given below
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_HUB_HOST", AppContext.BaseDirectory);
        if (args.Contains("--checks")) return await CheckBench.RunAsync(args);
        if (args.Contains("--entities")) return await EntityIndexAsync(args);
        if (args.Contains("--failed-view")) return await FailedView(args);
        if (args.Contains("--bulk-load")) return await BulkLoadAsync(args);
        if (args.Contains("--bulk")) NoticesPath = BulkPath;
        var notices = Arg(args, "--notices", 20_000);
        Posters = Arg(args, "--posters", 4);
        var rounds = Arg(args, "--rounds", 2);
        Console.WriteLine($"Hub ingest benchmark: {notices:N0} court notices per run, {rounds} round(s), {Environment.ProcessorCount} cores");

        var body = Notices(1)[0].ToJsonString();
        // the size of the Hub's JudgmentDefaulterListed on the wire (MassTransit envelope, compact JSON), as `--stages`
        // measures it in the aggregator's queue
        const int envelopeSize = 1_700;
        Console.WriteLine($"court notice ~{Encoding.UTF8.GetByteCount(body)} B; baseline messages {envelopeSize} B (the size of a Hub message on the wire)");

        if (args.Contains("--broker-costs"))
        {
            await BrokerCosts.RunAsync(notices, envelopeSize);
            return 0;
        }

        // JIT: the first minute of a .NET process compiles MassTransit, ASP.NET Core and Npgsql twice over (tier 0,
        // then optimised), half the process's CPU in a cold 20,000-notice run. A server runs for weeks: warm both
        // sides up first, uncounted, so the rounds compare steady states.
        var warmup = Arg(args, "--warmup", 5_000);
        // A new host also builds code of its own on first use (dependency-injection resolvers emitted as IL, JSON
        // metadata per serializer options, MassTransit's pipes per bus): thousands of methods compiled, up to half of
        // the first 20,000 notices' CPU. Each round therefore first sends a few notices (and raw messages) through the
        // very host (and channel) it then measures, uncounted.
        var hostWarmup = Arg(args, "--host-warmup", 2_000);
        var warmRequests = Requests(hostWarmup, first: 1_000_001);
        if (warmup > 0 && !args.Contains("--embedded-only"))
        {
            var rawWarm = await RawBaseline(warmup, 0, envelopeSize);
            var hubWarm = await HubEndToEnd(Requests(warmup), [], warmup, 0, args);
            Console.WriteLine($"warm-up (not counted): raw {rawWarm.Rate:N0} msg/s, Hub {hubWarm.Rate:N0} notices/s, {warmup:N0} each");
        }
        if (warmup > 0 && (args.Contains("--embedded") || args.Contains("--bulk")))
        {
            var embeddedWarm = await EmbeddedEndToEnd(Requests(warmup), [], warmup, 0, args);
            Console.WriteLine($"warm-up (not counted): Hub embedded default {embeddedWarm.Rate:N0} notices/s");
        }
        if (args.Contains("--stages"))
        {
            for (var round = 1; round <= rounds; round++) await Stages(Requests(notices), warmRequests, notices, hostWarmup, args);
            return 0;
        }
        var requests = Requests(notices);
        if (Arg(args, "--fanout", 0) is > 0 and var subscribers)
        {
            await Fanout(requests, warmRequests, notices, hostWarmup, rounds, envelopeSize, subscribers, Arg(args, "--fanout-receiving", 5), args);
            return 0;
        }
        if (args.Contains("--bulk"))
        {
            await Bulk(notices, hostWarmup, rounds, envelopeSize, args);
            return 0;
        }
        if (args.Contains("--embedded"))
        {
            await Embedded(requests, warmRequests, notices, hostWarmup, rounds, envelopeSize, args);
            return 0;
        }
        if (args.Contains("--audit-costs"))
        {
            await AuditCosts(requests, warmRequests, notices, hostWarmup, rounds, envelopeSize, args);
            return 0;
        }
        var results = new List<(double Raw, double Hub)>();
        for (var round = 1; round <= rounds; round++)
        {
            var raw = await RawBaseline(notices, hostWarmup, envelopeSize);
            Console.WriteLine($"round {round}: raw RabbitMQ.Client   {raw.Rate,10:N0} msg/s   (persistent, publisher confirms, manual acks)");
            Console.WriteLine($"  CPU per message: {raw.Cpu}");
            var hub = await HubEndToEnd(requests, warmRequests, notices, hostWarmup, args);
            Console.WriteLine($"round {round}: Hub end to end        {hub.Rate,10:N0} notices/s (HTTP court adapter → RabbitMQ → aggregator → PostgreSQL)");
            Console.WriteLine($"  CPU per notice: {hub.Cpu}");
            results.Add((raw.Rate, hub.Rate));
        }
        var ratios = results.Select(r => r.Hub / r.Raw).OrderBy(r => r).ToList();
        Console.WriteLine($"ratio Hub/raw per round: {string.Join(", ", ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; median {ratios[ratios.Count / 2]:0.00} (target ≥ 0.30)");
        return 0;
    }

    /// <summary>
    /// What identity and audit cost: each round runs the raw baseline, the Hub as it is (API key on every request,
    /// user_id on every message, the spoofing check, an audit entry per record in its batch's transaction, one per
    /// request at the HTTP door), and the same Hub without the per-record audit entries — side by side, so the
    /// machine's noise hits all three alike.
    /// </summary>
    static async Task AuditCosts(List<byte[]> requests, List<byte[]> warmRequests, int n, int warm, int rounds, int envelopeSize, string[] args)
    {
        var with = new List<double>();
        var without = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var raw = await RawBaseline(n, warm, envelopeSize);
            Console.WriteLine($"round {round}: raw RabbitMQ.Client          {raw.Rate,10:N0} msg/s; CPU per message: {raw.Cpu}");
            var audited = await HubEndToEnd(requests, warmRequests, n, warm, args);
            Console.WriteLine($"round {round}: Hub, audit on              {audited.Rate,10:N0} notices/s; CPU per notice: {audited.Cpu}");
            var bare = await HubEndToEnd(requests, warmRequests, n, warm, [.. args, "--no-record-audit"]);
            Console.WriteLine($"round {round}: Hub, no per-record audit   {bare.Rate,10:N0} notices/s; CPU per notice: {bare.Cpu}");
            with.Add(audited.Rate / raw.Rate);
            without.Add(bare.Rate / raw.Rate);
            Console.WriteLine($"  ratios Hub/raw: audit on {with[^1]:0.000}, off {without[^1]:0.000}");
        }
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        Console.WriteLine($"median Hub/raw: audit on {Median(with):0.000}, off {Median(without):0.000}; audit costs " +
                          $"{(1 - Median(with) / Median(without)) * 100:0.0}% of the ratio (target ≤ 10%)");
    }

    /// <summary>Publishes and consumes <paramref name="warm"/> messages uncounted, then N timed, on one channel pair.</summary>
    static async Task<(double Rate, string Cpu)> RawBaseline(int n, int warm, int size)
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
        var target = warm;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(sub);
        consumer.ReceivedAsync += async (_, ea) =>
        {
            await sub.BasicAckAsync(ea.DeliveryTag, multiple: false);
            if (Interlocked.Increment(ref received) == Volatile.Read(ref target)) done.TrySetResult();
        };
        await sub.BasicConsumeAsync("bench.raw", autoAck: false, consumer);

        var props = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, ContentType = "application/vnd.masstransit+json" };
        if (warm > 0)
        {
            await Exchange(warm);
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        Volatile.Write(ref target, warm + n);
        await JitSettled();
        var cpu = CpuUse.Start();
        var sw = Stopwatch.StartNew();
        await Exchange(n);
        return (n / sw.Elapsed.TotalSeconds, cpu.PerMessage(n));

        async Task Exchange(int count)
        {
            await BrokerCosts.PublishAsync(pub, "bench.raw", props, payload, count, outstanding: 256);
            await done.Task.WaitAsync(TimeSpan.FromMinutes(10));
        }
    }

    /// <summary>The Hub's two stages one after the other, each alone on the machine: the court adapter publishing N
    /// notices into the aggregator's queue (aggregator off), then the aggregator draining that queue into the index.</summary>
    static async Task Stages(List<byte[]> requests, List<byte[]> warmRequests, int n, int warm, string[] args)
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using (var topology = HubHost(vhost, database, args))
        {
            using var c = topology.CreateClient();
            await WaitReady(c); // declares the aggregator's queue and bindings
        }
        double adapterRate;
        using var jit = Environment.GetEnvironmentVariable("HUB_BENCH_JIT") == "1" ? new JitReport() : null;
        CpuUse cpu;
        await using (var adapterOnly = HubHost(vhost, database, [.. args, "--set", "Hub:Aggregator:Enabled=false", "--adapter-keys"]))
        {
            using var client = adapterOnly.CreateClient();
            await WaitReady(client);
            await Authenticate(adapterOnly, client);
            await PostAll(client, warmRequests);
            await JitSettled();
            if (jit is not null) jit.On = true;
            cpu = CpuUse.Start();
            var sw = Stopwatch.StartNew();
            await PostAll(client, requests);
            adapterRate = n / sw.Elapsed.TotalSeconds;
        }
        Console.WriteLine($"court adapter alone: {adapterRate,8:N0} notices/s; CPU per notice: {cpu.PerMessage(n)}");
        jit?.Print();
        Console.WriteLine($"  messages in the aggregator's queue average {await AverageMessageBytes(vhost, "hub.aggregator", warm + n):N0} B (the raw baseline's size should match)");
        await using (var aggregatorOnly = HubHost(vhost, database, [.. args, "--set", "Hub:CourtAdapter:Enabled=false"]))
        {
            using var progress = new HubProgress(null); // before the host starts: the queue is full already
            using var client = aggregatorOnly.CreateClient(); // starts the host
            await progress.WaitForAppliedAsync(warm); // the warm-up notices are first in the queue
            await progress.WaitForPublishedAsync(2L * warm);
            cpu = CpuUse.Start(); // the queue is being drained already: no pause here
            var sw = Stopwatch.StartNew();
            await progress.WaitForAppliedAsync(warm + n);
            var elapsed = sw.Elapsed;
            await progress.WaitForPublishedAsync(2L * (warm + n));
            Console.WriteLine($"aggregator alone:    {n / elapsed.TotalSeconds,8:N0} notices/s (events out after {sw.Elapsed.TotalSeconds:0.0} s); CPU per notice: {cpu.PerMessage(n)}");
            await ExpectListings(aggregatorOnly.Services, warm + n);
        }
    }

    /// <summary>Average body size in a queue holding <paramref name="n"/> messages, from the management API (whose
    /// statistics lag by a few seconds).</summary>
    static async Task<long> AverageMessageBytes(RabbitMqTestVhost vhost, string queue, int n)
    {
        for (var i = 0; i < 100; i++)
        {
            var q = await vhost.Management.GetFromJsonAsync<JsonObject>($"api/queues/{vhost.Name}/{queue}");
            if (q?["messages"]?.GetValue<long>() == n && q["message_bytes"]?.GetValue<long>() is > 0 and var bytes) return bytes / n;
            await Task.Delay(200);
        }
        return -1;
    }

    static WebApplicationFactory<global::Program> HubHost(RabbitMqTestVhost vhost, PostgresTestDatabase database, string[] args) =>
        HubHost(vhost, database.ConnectionString, args);

    /// <summary>The whole Hub in server mode on <paramref name="vhost"/> and the PostgreSQL index <paramref name="index"/>
    /// (listening on a loopback port of its own once Kestrel is asked for), with <c>--set KEY=VALUE</c> settings from
    /// <paramref name="args"/> and <paramref name="more"/> for a benchmark's own additions.</summary>
    internal static WebApplicationFactory<global::Program> HubHost(RabbitMqTestVhost vhost, string index, string[] args,
        Action<IWebHostBuilder>? more = null) =>
        new WebApplicationFactory<global::Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Production"); // server mode: no first-start keys (the bench makes its own)
            b.UseSetting("Urls", "http://127.0.0.1:0");
            b.UseSetting("Hub:Bus:Transport", "RabbitMq");
            // as the Hub's own impersonator user: its court adapter publishes with each court's user as user_id
            b.UseSetting("ConnectionStrings:RabbitMq", vhost.HubAmqpUri.ToString());
            b.UseSetting("Hub:Storage:Provider", "Postgres");
            b.UseSetting("ConnectionStrings:Index", index);
            b.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in Settings(args)) b.UseSetting(key, value);
            b.UseSetting("Logging:LogLevel:Hub", Environment.GetEnvironmentVariable("HUB_BENCH_LOG") ?? "Warning");
            // the court adapter alone has no key store (it takes client certificates); the bench lends it the index's, so
            // that both stages post exactly as the whole Hub does
            if (args.Contains("--adapter-keys"))
                b.ConfigureTestServices(s =>
                {
                    s.AddSingleton(new IndexDatabase(new Hub.Storage.Postgres.PostgresDialect(), index, TimeProvider.System));
                    s.AddSingleton<ApiKeyService>();
                });
            if (args.Contains("--no-record-audit"))
                b.ConfigureTestServices(s => s.AddSingleton<IRecordAuditSink>(new NoRecordAudit()));
            DropEventsIfAsked(b, args);
            more?.Invoke(b);
        });

    /// <summary>
    /// For measuring only (<c>--events-dropped</c>): the relay reads, marks and counts the outbound events as always, but
    /// hands them to a publisher that drops them — no broker message, no serialisation for it. What a round costs then is
    /// the most any batching of outbound events (fewer broker messages) could save: their broker messages cost nothing.
    /// </summary>
    internal sealed class DroppedEvents : Hub.Aggregator.Outbox.IEventPublisher
    {
        public Task PublishAsync(object message, Type messageType, CancellationToken ct) => Task.CompletedTask;
    }

    /// <summary>With <c>--events-dropped</c>, the host's relay publishes to <see cref="DroppedEvents"/>.</summary>
    internal static void DropEventsIfAsked(IWebHostBuilder b, string[] args)
    {
        if (args.Contains("--events-dropped"))
            b.ConfigureTestServices(s => s.AddSingleton<Hub.Aggregator.Outbox.IEventPublisher>(new DroppedEvents()));
    }

    /// <summary>For measuring only: the aggregator's per-record audit entries are dropped.</summary>
    sealed class NoRecordAudit : IRecordAuditSink
    {
        public void Add(IndexWrite write, Hub.Storage.Audit.AuditEntry entry) { }
    }

    /// <summary>A court's API key, made in the host as an operator would make it; the bench posts with it.</summary>
    static async Task Authenticate(WebApplicationFactory<global::Program> hub, HttpClient client)
    {
        var maker = hub.Services.GetRequiredService<Hub.Domain.Access.AccessPolicy>().Resolve("operator:bench");
        var (_, key) = await hub.Services.GetRequiredService<ApiKeyService>().CreateAsync("COURT-34-1122", "bench", maker, CancellationToken.None);
        client.DefaultRequestHeaders.Add(HubAuthenticationHandler.ApiKeyHeader, key);
    }

    /// <summary>
    /// The timed part of an ingest run on a host already built: authenticates as a court, sends <paramref name="warm"/>
    /// notices uncounted and waits for them and their events, waits until the JIT is quiet, then times N; CPU is counted
    /// until every outbound event was published.
    /// </summary>
    static async Task<(double Rate, string Cpu, TimeSpan Accepted, TimeSpan Applied, TimeSpan Relayed)> TimeIngest(
        WebApplicationFactory<global::Program> hub, List<byte[]> requests, List<byte[]> warmRequests, int n, int warm)
    {
        using var client = hub.CreateClient();
        using var progress = new HubProgress(hub.Services);
        await WaitReady(client);
        await Authenticate(hub, client);
        await PostAll(client, warmRequests);
        await progress.WaitForAppliedAsync(warm);
        await progress.WaitForPublishedAsync(2L * warm);
        await JitSettled();

        var cpu = CpuUse.Start();
        var sw = Stopwatch.StartNew();
        await PostAll(client, requests);
        var accepted = sw.Elapsed;
        await progress.WaitForAppliedAsync(warm + n);
        var applied = sw.Elapsed;
        await progress.WaitForPublishedAsync(2L * (warm + n));
        var relayed = sw.Elapsed;
        return (n / applied.TotalSeconds, cpu.PerMessage(n), accepted, applied, relayed);
    }

    /// <summary>One COUNT after the timing: the index really holds the listings the aggregator reported.</summary>
    static async Task ExpectListings(IServiceProvider services, int n)
    {
        var count = await services.GetRequiredService<IndexDatabase>().CountListingsAsync(CancellationToken.None);
        if (count != n) throw new InvalidOperationException($"the aggregator reported {n:N0} records applied but the index holds {count:N0} listings");
    }

    static async Task WaitReady(HttpClient client)
    {
        client.Timeout = TimeSpan.FromMinutes(10);
        while (!(await client.GetAsync("/health/ready")).IsSuccessStatusCode) await Task.Delay(100);
    }

    /// <summary>Waits until the runtime has compiled nothing for a second (at most 30 s): the optimised recompilation of
    /// what the warm-up ran happens in the background, after the warm-up, and would otherwise be charged to the round.</summary>
    static async Task JitSettled()
    {
        var last = System.Runtime.JitInfo.GetCompiledMethodCount();
        for (int quiet = 0, waited = 0; quiet < 4 && waited < 120; waited++)
        {
            await Task.Delay(250);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
    }

    /// <summary>Sends <paramref name="warm"/> notices through a new host uncounted, then N timed. With <paramref name="fanout"/>, a
    /// consumer reads each subscriber queue throughout, and the CPU is counted until every copy has reached its subscriber.</summary>
    /// <returns>Notices per second until the index was complete (the benchmark's rate), CPU per notice, and notices per second
    /// until every outbound event was published and, with subscribers, read by them.</returns>
    static async Task<(double Rate, string Cpu, double OutRate)> HubEndToEnd(List<byte[]> requests, List<byte[]> warmRequests, int n, int warm, string[] args,
        FanoutPlan? fanout = null)
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var hub = HubHost(vhost, database, args);
        using var client = hub.CreateClient();
        using var progress = new HubProgress(hub.Services);
        await WaitReady(client);
        await Authenticate(hub, client);
        await using var subscribers = fanout is null ? null : await ConsumeSubscribersAsync(hub, vhost, fanout);
        await PostAll(client, warmRequests);
        await progress.WaitForAppliedAsync(warm);
        await progress.WaitForPublishedAsync(2L * warm);
        if (subscribers is not null) await subscribers.WaitForAsync((long)fanout!.CopiesPerNotice * warm);
        await JitSettled();

        var cpu = CpuUse.Start();
        var sw = Stopwatch.StartNew();
        await PostAll(client, requests);
        var accepted = sw.Elapsed;
        await progress.WaitForAppliedAsync(warm + n);
        var elapsed = sw.Elapsed;
        await progress.WaitForPublishedAsync(2L * (warm + n)); // the Hub pays for relaying its events: CPU is counted until they are out
        var relayed = sw.Elapsed;
        if (subscribers is not null) await subscribers.WaitForAsync((long)fanout!.CopiesPerNotice * (warm + n));
        var delivered = sw.Elapsed;
        var used = cpu.PerMessage(n);
        await ExpectListings(hub.Services, warm + n);
        Console.WriteLine($"  (adapter: all {n:N0} confirmed by the broker after {accepted.TotalSeconds:0.0} s; index complete after {elapsed.TotalSeconds:0.0} s; " +
                          $"all {2 * n:N0} outbound events published after {relayed.TotalSeconds:0.0} s" +
                          (subscribers is null ? ")" : $"; all {(long)fanout!.CopiesPerNotice * n:N0} copies read by {fanout.Subscribers} subscribers after {delivered.TotalSeconds:0.0} s)"));
        return (n / elapsed.TotalSeconds, used, n / delivered.TotalSeconds);
    }

    /// <summary>The request bodies a few court systems would send for N notices, 500 a request, built before any clock
    /// starts: what the court's own system spends serialising its export is not the Hub's work.</summary>
    static List<byte[]> Requests(int n, int first = 1)
    {
        const int perRequest = 500;
        var all = Notices(n, first);
        return Enumerable.Range(0, (n + perRequest - 1) / perRequest)
            .Select(r => Encoding.UTF8.GetBytes(new JsonArray(all.Skip(r * perRequest).Take(perRequest).Select(x => (JsonNode)x).ToArray()).ToJsonString()))
            .ToList();
    }

    /// <summary>How many requests are in flight at once: a few court systems posting (`--posters N`, default 4).</summary>
    static int Posters = 4;

    /// <summary>Posts the requests to the court adapter, <see cref="Posters"/> at a time.</summary>
    static async Task PostAll(HttpClient client, List<byte[]> requests)
    {
        using var gate = new SemaphoreSlim(Posters);
        var posts = new List<Task>();
        foreach (var body in requests)
        {
            await gate.WaitAsync();
            posts.Add(Post(body));
        }
        await Task.WhenAll(posts);

        async Task Post(byte[] body)
        {
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                using var r = await client.PostAsync(NoticesPath, content);
                r.EnsureSuccessStatusCode();
            }
            finally { gate.Release(); }
        }
    }

    static List<JsonObject> Notices(int n, int first = 1) => CourtNoticeJson.Companies(n, first);

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

/// <summary>CPU time spent during one phase by this process, RabbitMQ (beam.smp) and PostgreSQL (every backend, from
/// /proc; reaped backends count through the postmaster's children time). Linux only; elsewhere only this process.</summary>
internal sealed class CpuUse
{
    private readonly TimeSpan _self, _jitTime;
    private readonly long _jitted;
    private readonly double _broker, _database;
    private readonly int _gen0, _gen2;
    private readonly TimeSpan _gcPause;

    private CpuUse()
    {
        _self = Process.GetCurrentProcess().TotalProcessorTime;
        _jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
        _jitTime = System.Runtime.JitInfo.GetCompilationTime();
        _broker = Seconds("beam.smp");
        _database = Seconds("postgres");
        (_gen0, _gen2, _gcPause) = (GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalPauseDuration());
    }

    public static CpuUse Start() => new();

    public string PerMessage(int n)
    {
        var self = (Process.GetCurrentProcess().TotalProcessorTime - _self).TotalMilliseconds * 1000 / n;
        var broker = (Seconds("beam.smp") - _broker) * 1e6 / n;
        var database = (Seconds("postgres") - _database) * 1e6 / n;
        var jitted = System.Runtime.JitInfo.GetCompiledMethodCount() - _jitted;
        var jitMs = (System.Runtime.JitInfo.GetCompilationTime() - _jitTime).TotalMilliseconds;
        var gcs = GC.CollectionCount(0) - _gen0;
        var gen2 = GC.CollectionCount(2) - _gen2;
        var pause = (GC.GetTotalPauseDuration() - _gcPause).TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"bench process {self:0} µs, RabbitMQ {broker:0} µs, PostgreSQL {database:0} µs (bench process JIT: {jitted:N0} methods, {jitMs * 1000 / n:0} µs; " +
            $"GC: {gcs:N0} collections, {gen2:N0} of them full, paused {pause:N0} ms in all)");
    }

    /// <summary>CPU seconds all processes named <paramref name="command"/> have used (and their reaped children).</summary>
    internal static double Seconds(string command)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        double ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
                if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() != command) continue;
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // fields 14-17 (utime, stime, cutime, cstime) are 11-14 after the command
                ticks += double.Parse(f[11], CultureInfo.InvariantCulture) + double.Parse(f[12], CultureInfo.InvariantCulture)
                       + double.Parse(f[13], CultureInfo.InvariantCulture) + double.Parse(f[14], CultureInfo.InvariantCulture);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return ticks / 100.0; // USER_HZ
    }
}

/// <summary>
/// Counts what the host's aggregator did, from its instruments: records applied (<c>hub.aggregator.records</c>) and
/// outbound events published (<c>hub.aggregator.outbox.published</c>). The benchmark waits on these rather than
/// polling the index: a COUNT(*) every few milliseconds cost PostgreSQL more than the ingest itself (docs/BENCHMARKS.md).
/// </summary>
internal sealed class HubProgress : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _applied, _notApplied, _published;

    /// <param name="host">Count only this host's aggregator; null: any aggregator in this process.</param>
    public HubProgress(IServiceProvider? host)
    {
        var scope = host?.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AggregatorMetrics.MeterName && (scope is null || instrument.Meter.Scope == scope)) l.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == AggregatorMetrics.PublishedName) Interlocked.Add(ref _published, value);
            else if (instrument.Name == AggregatorMetrics.RecordsName)
                foreach (var t in tags)
                    if (t.Key == "outcome") Interlocked.Add(ref (string?)t.Value == "applied" ? ref _applied : ref _notApplied, value);
        });
        _listener.Start();
    }

    /// <summary>Until <paramref name="n"/> records were applied; throws once so many were handled that the rest cannot
    /// be (duplicates of records the index already holds, or rejected), rather than waiting for ever.</summary>
    public Task WaitForAppliedAsync(long n) => WaitAsync(() =>
    {
        var (applied, other) = (Interlocked.Read(ref _applied), Interlocked.Read(ref _notApplied));
        if (applied < n && applied + other >= n)
            throw new InvalidOperationException($"{other:N0} records were not applied (duplicates of records the index holds already, or rejected): " +
                                                $"{applied:N0} of the {n:N0} awaited were");
        return applied >= n;
    });

    public Task WaitForPublishedAsync(long n) => WaitAsync(() => Interlocked.Read(ref _published) >= n);

    private static async Task WaitAsync(Func<bool> done)
    {
        while (!done()) await Task.Delay(5);
    }

    public void Dispose() => _listener.Dispose();
}
