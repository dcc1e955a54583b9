using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hub.Cli;
using Hub.Testing;
using Npgsql;

namespace Hub.Bench;

/// <summary>
/// `--bulk`: the bulk path end to end — court requests of 5,000 notices to the bulk door, published as batch messages of
/// 500, applied record by record — beside the raw baseline (one message per record, persistent, confirms), in server
/// mode (RabbitMQ, PostgreSQL) and in the embedded default (in-memory bus, SQLite), in each round of one run.
/// `--bulk-load N`: `hub load` of a file of N notices (JSON lines) against the Hub as production runs it
/// (<c>dotnet src/Hub.Host/bin/Release/net10.0/Hub.Host.dll</c>, server mode, a process of its own): wall time, CPU per
/// notice per process, and the Hub's resident memory as the load goes on and at its peak.
/// </summary>
internal static partial class Bench
{
    /// <summary>Where <see cref="PostAll"/> posts: the one-message-per-notice door, or the bulk door in `--bulk`.</summary>
    static string NoticesPath = "/api/adapters/court/COURT-34-1122/notices";

    const string BulkPath = "/api/adapters/court/COURT-34-1122/notices/bulk";

    /// <summary>Court requests for the bulk door: 5,000 notices each (its limit), as `hub load` sends them.</summary>
    static List<byte[]> BulkRequests(int n, int first = 1)
    {
        const int perRequest = 5_000;
        var all = Notices(n, first);
        return Enumerable.Range(0, (n + perRequest - 1) / perRequest)
            .Select(r => Encoding.UTF8.GetBytes(new JsonArray(all.Skip(r * perRequest).Take(perRequest).Select(x => (JsonNode)x).ToArray()).ToJsonString()))
            .ToList();
    }

    static async Task Bulk(int n, int warm, int rounds, int envelopeSize, string[] args)
    {
        NoticesPath = BulkPath;
        var requests = BulkRequests(n);
        var warmRequests = BulkRequests(warm, first: 1_000_001);
        var results = new List<(double Raw, double Server, double Embedded)>();
        for (var round = 1; round <= rounds; round++)
        {
            var raw = await RawBaseline(n, warm, envelopeSize);
            Console.WriteLine($"round {round}: raw RabbitMQ.Client       {raw.Rate,10:N0} msg/s   (one message per record, persistent, publisher confirms, manual acks)");
            Console.WriteLine($"  CPU per message: {raw.Cpu}");
            // --embedded-only: the server mode's round left out (while working on the embedded default)
            var server = args.Contains("--embedded-only") ? (Rate: double.NaN, Cpu: "", OutRate: double.NaN) : await HubEndToEnd(requests, warmRequests, n, warm, args);
            if (!double.IsNaN(server.Rate))
            {
                Console.WriteLine($"round {round}: Hub bulk, server mode     {server.Rate,10:N0} notices/s (bulk door → batches of 500 on RabbitMQ → aggregator → PostgreSQL)");
                Console.WriteLine($"  CPU per notice: {server.Cpu}");
            }
            var embedded = await EmbeddedEndToEnd(requests, warmRequests, n, warm, args);
            Console.WriteLine($"round {round}: Hub bulk, embedded default {embedded.Rate,10:N0} notices/s (bulk door → in-memory bus → aggregator → SQLite)");
            Console.WriteLine($"  CPU per notice: {embedded.Cpu}; 'database is locked' in its log: {embedded.Locked}");
            results.Add((raw.Rate, server.Rate, embedded.Rate));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  ratios: {(double.IsNaN(server.Rate) ? "" : $"bulk server/raw {server.Rate / raw.Rate:0.00}, ")}bulk embedded/raw {embedded.Rate / raw.Rate:0.00}"));
        }
        static double Median(IEnumerable<double> xs) => xs.Order().ElementAt(xs.Count() / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median per round: {(args.Contains("--embedded-only") ? "" : $"bulk server/raw {Median(results.Select(r => r.Server / r.Raw)):0.00}, ")}" +
            $"bulk embedded/raw {Median(results.Select(r => r.Embedded / r.Raw)):0.00} (target ≥ 0.60)"));
    }

    static async Task<int> BulkLoadAsync(string[] args)
    {
        var n = Arg(args, "--bulk-load", 1_000_000);
        var dir = Directory.CreateDirectory(ArgText(args, "--bulk-dir") ?? Path.Combine(Path.GetTempPath(), "hub-bench-bulk-load"));
        var file = Path.Combine(dir.FullName, $"notices-{n}.jsonl");
        if (!File.Exists(file))
        {
            var made = Stopwatch.StartNew();
            await using (var writer = new StreamWriter(file + ".tmp", false, new UTF8Encoding(false), 1 << 20))
                for (var first = 1; first <= n; first += 10_000)
                    foreach (var notice in Notices(Math.Min(10_000, n - first + 1), first))
                        await writer.WriteLineAsync(notice.ToJsonString());
            File.Move(file + ".tmp", file);
            Console.WriteLine($"wrote {file} ({new FileInfo(file).Length / 1e6:N0} MB) in {made.Elapsed.TotalSeconds:0} s");
        }
        foreach (var state in new[] { file + ".hubload", file + ".rejects" }) File.Delete(state);
        Console.WriteLine($"hub load of {n:N0} notices ({new FileInfo(file).Length / 1e6:N0} MB of JSON lines) against a Hub.Host.dll process in server mode, {Environment.ProcessorCount} cores");

        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        var repo = RepositoryRoot();
        var host = Path.Combine(repo, "src", "Hub.Host", "bin", "Release", "net10.0", "Hub.Host.dll");
        if (!File.Exists(host)) throw new FileNotFoundException("build the Hub in Release first (dotnet build -c Release src/Hub.Host)", host);
        var keys = Path.Combine(dir.FullName, $"keys-{Guid.NewGuid():N}.txt");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [host, "--contentRoot", Path.GetDirectoryName(host)!])
        {
            WorkingDirectory = dir.FullName, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production", ["Urls"] = $"http://127.0.0.1:{port}",
                ["Hub__Bus__Transport"] = "RabbitMq", ["ConnectionStrings__RabbitMq"] = vhost.HubAmqpUri.ToString(),
                ["Hub__Storage__Provider"] = "Postgres", ["ConnectionStrings__Index"] = database.ConnectionString,
                ["Hub__Auth__ApiKeys__BootstrapFile"] = keys,
                ["Hub__Auth__ApiKeys__Bootstrap__0"] = "COURT-34-1122", ["Hub__Auth__ApiKeys__Bootstrap__1"] = "monitor:bench",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        };
        using var hub = Process.Start(start)!;
        hub.OutputDataReceived += (_, e) => { if (e.Data is { } l && l.Contains("fail", StringComparison.OrdinalIgnoreCase)) Console.WriteLine("  hub: " + l); };
        hub.ErrorDataReceived += (_, _) => { };
        hub.BeginOutputReadLine();
        hub.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
            while (true)
            {
                try { if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode && File.Exists(keys)) break; }
                catch (HttpRequestException) { }
                if (hub.HasExited) throw new InvalidOperationException("the Hub process ended at start");
                await Task.Delay(200);
            }
            var key = (await File.ReadAllLinesAsync(keys)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(p => p[0], p => p[1]);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key["monitor:bench"]);
            var idle = ProcessFigures.Of(hub.Id);
            Console.WriteLine($"Hub process ready: resident {idle.RssMb:N0} MB");

            var hubCpu0 = idle.CpuSeconds;
            var self0 = Process.GetCurrentProcess().TotalProcessorTime;
            var broker0 = CpuUse.Seconds("beam.smp");
            var database0 = CpuUse.Seconds("postgres");
            var sw = Stopwatch.StartNew();
            var load = Task.Run(() => HubCli.RunAsync(["load", file, "--agency", "COURT-34-1122", "--hub", $"http://127.0.0.1:{port}", "--api-key", key["COURT-34-1122"]],
                Console.Out, Console.Error, http: null, CancellationToken.None));
            var marks = new[] { 0.1, 0.25, 0.5, 0.75, 1.0 }.Select(f => (long)(f * n)).ToList();
            double loaded = 0, peakRss = 0;
            long applied = 0;
            while (applied < n)
            {
                await Task.Delay(1_000);
                if (load.IsCompleted && loaded == 0)
                {
                    loaded = sw.Elapsed.TotalSeconds;
                    Console.WriteLine($"  hub load finished after {loaded:0} s (exit code {await load}): every notice accepted by the broker");
                }
                applied = (long)await MetricAsync(http, "hub_aggregator_records_total", "outcome=\"applied\"");
                var now = ProcessFigures.Of(hub.Id);
                peakRss = Math.Max(peakRss, now.RssMb);
                while (marks.Count > 0 && applied >= marks[0])
                {
                    Console.WriteLine($"  {marks[0]:N0} applied after {sw.Elapsed.TotalSeconds:0} s: Hub resident {now.RssMb:N0} MB (peak so far {now.PeakMb:N0} MB)");
                    marks.RemoveAt(0);
                }
                if (hub.HasExited) throw new InvalidOperationException("the Hub process ended");
            }
            var appliedAfter = sw.Elapsed.TotalSeconds;
            while (await MetricAsync(http, "hub_aggregator_outbox_published_total", null) < 2.0 * n) await Task.Delay(1_000);
            var relayed = sw.Elapsed.TotalSeconds;
            var end = ProcessFigures.Of(hub.Id);
            var self = (Process.GetCurrentProcess().TotalProcessorTime - self0).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n:N0} notices: load confirmed after {loaded:0} s, all applied after {appliedAfter:0} s ({n / appliedAfter:N0} notices/s), all {2L * n:N0} events published after {relayed:0} s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CPU per notice: Hub process {(end.CpuSeconds - hubCpu0) * 1e6 / n:0} µs, hub load (bench process) {self * 1e6 / n:0} µs, " +
                $"RabbitMQ {(CpuUse.Seconds("beam.smp") - broker0) * 1e6 / n:0} µs, PostgreSQL {(CpuUse.Seconds("postgres") - database0) * 1e6 / n:0} µs"));
            Console.WriteLine($"Hub resident memory: {idle.RssMb:N0} MB ready, {end.RssMb:N0} MB at the end, peak {Math.Max(end.PeakMb, peakRss):N0} MB (VmHWM)");
            await using var db = new NpgsqlDataSourceBuilder(database.ConnectionString).Build();
            await using var count = db.CreateCommand("SELECT count(*) FROM records");
            Console.WriteLine($"records in the index: {await count.ExecuteScalarAsync():N0}");
            return 0;
        }
        finally
        {
            hub.Kill(entireProcessTree: true);
            await hub.WaitForExitAsync();
            File.Delete(keys);
        }
    }

    /// <summary>The sum of a Prometheus counter's samples (those whose labels contain <paramref name="label"/>).</summary>
    static async Task<double> MetricAsync(HttpClient http, string name, string? label)
    {
        var text = await http.GetStringAsync("/metrics");
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || (line.Length > name.Length && line[name.Length] is not ('{' or ' '))) continue;
            if (label is not null && !line.Contains(label, StringComparison.Ordinal)) continue;
            sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        return sum;
    }

    static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hub.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("the repository root (Hub.sln) is not above the bench");
    }

    /// <summary>CPU seconds (user and system) and resident memory (now and peak) of a process, from /proc.</summary>
    sealed record ProcessFigures(double CpuSeconds, double RssMb, double PeakMb)
    {
        public static ProcessFigures Of(int pid)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var cpu = (double.Parse(f[11], CultureInfo.InvariantCulture) + double.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
            double rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line) / 1024;
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line) / 1024;
            }
            return new ProcessFigures(cpu, rss, peak);

            static double Kb(string line) => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
    }
}
