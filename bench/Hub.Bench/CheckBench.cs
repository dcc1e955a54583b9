using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Hub.Domain.Identifiers;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Storage.Audit;
using Hub.Storage.Postgres;
using Hub.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Bench;

/// <summary>
/// Checks before granting against an index of a million subjects in PostgreSQL, over HTTP (Kestrel on a loopback
/// socket) against the Hub host in server mode: single checks one after the other (p50/p99), then batches of 1,000, then
/// the same reads and audit appends without HTTP, to say where the time goes.
///   dotnet run -c Release --project bench/Hub.Bench -- --checks [--subjects N] [--singles N] [--batches N] [--clients N] [--reload] [--cold]
///     [--index-options "Npgsql options"]
/// The database (hub_bench_checks) is generated once with COPY and reused while it holds the same number of subjects.
/// </summary>
internal static class CheckBench
{
    private const string Database = "hub_bench_checks";
    private const string Agency = "MARKET-33";
    private static readonly string[] Measures = ["procurement-exclusion", "serving-as-legal-representative", "consumption-restriction", "food-production-licence"];

    public static async Task<int> RunAsync(string[] args)
    {
        var subjects = Arg(args, "--subjects", 1_000_000);
        var singles = Arg(args, "--singles", 5_000);
        var batches = Arg(args, "--batches", 100);
        var clients = Arg(args, "--clients", 1);
        var companies = subjects / 2;
        Console.WriteLine($"Checks benchmark: {subjects:N0} subjects ({companies:N0} companies, each with its legal representative), " +
                          $"{singles:N0} single checks by {clients} client(s), {batches:N0} batches of 1,000; {Environment.ProcessorCount} cores");

        var cs = await EnsureIndexAsync(companies, args.Contains("--reload"));
        if (!args.Contains("--cold")) await BenchDatabase.PrewarmAsync(cs);
        // each configuration of the Hub's index connections in turn, in one run: as shipped (checks and the audit append
        // on the preparing pool), without any preparation, and as shipped again, so that neither has the machine's
        // quieter or busier minutes to itself (`--index-options "..."` measures only those options)
        var given = args.SkipWhile(a => a != "--index-options").Skip(1).FirstOrDefault();
        foreach (var options in given is null ? new[] { "", NoPreparation, "" } : [given])
        {
            Console.WriteLine();
            Console.WriteLine(options.Length == 0 ? "== the Hub as shipped" : $"== the Hub with \"{options}\" in ConnectionStrings:Index");
            await MeasureAsync(cs, options, companies, singles, batches, clients);
        }
        return 0;
    }

    /// <summary>The Hub as it shipped before the preparing pool: every statement parsed and planned on every call.</summary>
    private const string NoPreparation = "Max Auto Prepare=0";

    private static async Task MeasureAsync(string cs, string options, int companies, int singles, int batches, int clients)
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var hub = Host(vhost, options.Length == 0 ? cs : cs + ";" + options);
        hub.UseKestrel(0);
        hub.StartServer();
        using var client = hub.CreateClient();
        client.Timeout = TimeSpan.FromMinutes(2);
        Console.WriteLine($"Hub listening at {client.BaseAddress} (Kestrel, loopback socket)");
        while (!(await client.GetAsync("/health/ready")).IsSuccessStatusCode) await Task.Delay(100);
        var maker = hub.Services.GetRequiredService<Hub.Domain.Access.AccessPolicy>().Resolve("operator:bench");
        var (_, key) = await hub.Services.GetRequiredService<ApiKeyService>().CreateAsync(Agency, "bench", maker, CancellationToken.None);
        client.DefaultRequestHeaders.Add(HubAuthenticationHandler.ApiKeyHeader, key);
        var hubIds = await SampleHubIdsAsync(cs, 2_000);

        var random = new Random(20261127);
        // uncounted: the host's first use builds code of its own, and the runtime recompiles hot code in the background
        await Singles(client, Enumerable.Range(0, 2_000).Select(_ => SingleBody(random, companies, hubIds)).ToList(), 1);
        await Batches(client, Enumerable.Range(0, 10).Select(_ => BatchBody(random, companies, hubIds)).ToList());
        await JitSettled();

        var singleBodies = Enumerable.Range(0, singles).Select(_ => SingleBody(random, companies, hubIds)).ToList();
        ServerTimes.Take();
        var cpu = CpuUse.Start();
        var machine = MachineCpu.Start();
        var sw = Stopwatch.StartNew();
        var (singleTimes, restricted) = await Singles(client, singleBodies, clients);
        var elapsed = sw.Elapsed;
        Console.WriteLine($"single checks: {singles:N0} in {elapsed.TotalSeconds:0.0} s ({singles / elapsed.TotalSeconds:N0}/s), {restricted:N0} restricted; " +
                          $"latency {Percentiles(singleTimes)} (target p99 ≤ 5 ms)");
        Console.WriteLine($"  of which in the Hub (first middleware to answer written): {Percentiles(ServerTimes.Take())}");
        Console.WriteLine($"  CPU per check: {cpu.PerMessage(singles)}; {machine.Report()}");

        // the floor: the same client and host answering a request that does no work (no key, no database, no audit)
        var floor = new List<double>(singles);
        for (var i = 0; i < singles; i++)
        {
            var sw1 = Stopwatch.StartNew();
            using var r = await client.GetAsync("/health/live");
            await r.Content.ReadAsStringAsync();
            floor.Add(sw1.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"  the same client and host answering GET /health/live (no work), {singles:N0} times: {Percentiles(floor)}");

        Console.WriteLine($"  PostgreSQL's own durable commit (a one-row insert committed, as the audit append must be; no Hub), " +
                          $"{singles:N0} times: {Percentiles(await CommitsAsync(cs, singles))}");

        var batchBodies = Enumerable.Range(0, batches).Select(_ => BatchBody(random, companies, hubIds)).ToList();
        cpu = CpuUse.Start();
        machine = MachineCpu.Start();
        var batchTimes = await Batches(client, batchBodies);
        Console.WriteLine($"batches of 1,000: {batches:N0}, latency {Percentiles(batchTimes)} (target ≤ 250 ms)");
        Console.WriteLine($"  CPU per batch: {cpu.PerMessage(batches)}; {machine.Report()}");

        await WhereTheTimeGoes(hub.Services, random, companies, hubIds);
    }

    /// <summary>The parts of a check without HTTP: the index read (one statement; a batch's few), and the audit append
    /// it waits for (one entry; a batch's 1,001).</summary>
    private static async Task WhereTheTimeGoes(IServiceProvider services, Random random, int companies, List<string> hubIds)
    {
        var checks = services.GetRequiredService<SubjectChecks>();
        var audit = services.GetRequiredService<IAuditTrail>();
        var day = new Hub.Domain.Lifecycle.ListingClock(TimeProvider.System).Today;
        var reads = new List<double>();
        var appends = new List<double>();
        for (var i = 0; i < 2_000; i++)
        {
            var key = Key(random, companies, hubIds);
            var sw = Stopwatch.StartNew();
            await checks.CheckAsync([key], Measures[i % Measures.Length], day, CancellationToken.None);
            reads.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            await audit.WriteAsync(new AuditEntry(TimeProvider.System.GetUtcNow(), "bench", null, "bench.check", null, null, "allowed", "bench", "http"), CancellationToken.None);
            appends.Add(sw.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"without HTTP, one check: index read {Percentiles(reads)}; audit append (waited for) {Percentiles(appends)}");
        var batchReads = new List<double>();
        var batchAppends = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var keys = Enumerable.Range(0, 1_000).Select(_ => Key(random, companies, hubIds)).ToList();
            var sw = Stopwatch.StartNew();
            await checks.CheckAsync(keys, "procurement-exclusion", day, CancellationToken.None);
            batchReads.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            await Task.WhenAll(Enumerable.Range(0, 1_001).Select(_ => audit.WriteAsync(
                new AuditEntry(TimeProvider.System.GetUtcNow(), "bench", null, "bench.check", null, null, "allowed", "bench", "http"), CancellationToken.None)));
            batchAppends.Add(sw.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"without HTTP, a batch of 1,000: index read {Percentiles(batchReads)}; 1,001 audit entries {Percentiles(batchAppends)}");
    }

    /// <summary>The durability every audited answer waits for, without the Hub: one-row transactions committed one after
    /// the other (the WAL flushed to disk each time, as <c>synchronous_commit</c> is on) — the disk's share of a check's
    /// tail, measured in the same minute.</summary>
    private static async Task<List<double>> CommitsAsync(string cs, int n)
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS bench_commit_probe (n integer NOT NULL); TRUNCATE bench_commit_probe", c))
            await create.ExecuteNonQueryAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO bench_commit_probe VALUES (@n)", c);
        var p = insert.Parameters.Add("n", NpgsqlDbType.Integer);
        await insert.PrepareAsync();
        var times = new List<double>(n);
        for (var i = 0; i < n; i++)
        {
            p.Value = i;
            var sw = Stopwatch.StartNew();
            await insert.ExecuteNonQueryAsync();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    private static async Task<(List<double> Times, int Restricted)> Singles(HttpClient client, List<byte[]> bodies, int clients)
    {
        var times = new double[bodies.Count];
        var restricted = 0;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < bodies.Count; i = Interlocked.Increment(ref next))
            {
                var sw = Stopwatch.StartNew();
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new("application/json");
                using var r = await client.PostAsync("/api/checks", content);
                var text = await r.Content.ReadAsStringAsync();
                times[i] = sw.Elapsed.TotalMilliseconds;
                if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"check answered {(int)r.StatusCode}: {text}");
                if (text.Contains("\"outcome\":\"restricted\"", StringComparison.Ordinal)) Interlocked.Increment(ref restricted);
            }
        }));
        return ([.. times], restricted);
    }

    private static async Task<List<double>> Batches(HttpClient client, List<byte[]> bodies)
    {
        var times = new List<double>();
        foreach (var body in bodies)
        {
            var sw = Stopwatch.StartNew();
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var r = await client.PostAsync("/api/checks/batch", content);
            var answer = await r.Content.ReadFromJsonAsync<JsonElement>();
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"batch answered {(int)r.StatusCode}: {answer}");
            if (answer.GetProperty("results").GetArrayLength() != 1_000) throw new InvalidOperationException("a batch answer without 1,000 results");
        }
        return times;
    }

    /// <summary>A subject to check: a company by USCC (60%), a legal representative by ID number (25%), a company by hub
    /// id (5%), or a USCC the index does not know (10%).</summary>
    private static SubjectKey Key(Random random, int companies, List<string> hubIds)
    {
        var roll = random.Next(100);
        var n = random.Next(1, companies + 1);
        return roll switch
        {
            < 60 => new SubjectKey(SubjectKey.Uscc, TestIdentifiers.Uscc(n)),
            < 85 => new SubjectKey(SubjectKey.Ric, Ric(n)),
            < 90 => new SubjectKey(SubjectKey.HubId, hubIds[random.Next(hubIds.Count)]),
            _ => new SubjectKey(SubjectKey.Uscc, TestIdentifiers.Uscc(companies + n)),
        };
    }

    private static object Subject(SubjectKey key) => key.Scheme switch
    {
        SubjectKey.Uscc => new { uscc = key.Value },
        SubjectKey.Ric => new { ric = key.Value },
        _ => (object)new { hubId = key.Value },
    };

    private static byte[] SingleBody(Random random, int companies, List<string> hubIds) =>
        JsonSerializer.SerializeToUtf8Bytes(new { subject = Subject(Key(random, companies, hubIds)), measure = Measures[random.Next(Measures.Length)] });

    private static byte[] BatchBody(Random random, int companies, List<string> hubIds) =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            measure = "procurement-exclusion",
            subjects = Enumerable.Range(0, 1_000).Select(_ => Subject(Key(random, companies, hubIds))).ToArray(),
        });

    internal static string Percentiles(List<double> ms)
    {
        var sorted = ms.Order().ToList();
        double At(double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"p50 {At(0.50):0.00} ms, p90 {At(0.90):0.00} ms, p99 {At(0.99):0.00} ms, max {sorted[^1]:0.00} ms");
    }

    private static WebApplicationFactory<global::Program> Host(RabbitMqTestVhost vhost, string index) =>
        Bench.HubHost(vhost, index, [], b => b.ConfigureServices(s => s.AddSingleton<IStartupFilter>(ServerTimes)));

    /// <summary>The time each single check spends in the Hub.</summary>
    private static readonly ServerTiming ServerTimes = new(path => path == "/api/checks");

    // ---- the index: a million subjects, generated once ----

    /// <summary>Person n's ID number: region 341122, born 1 January 1950 plus n / 1,000 days, sequence n % 1,000.</summary>
    private static string Ric(int n)
    {
        var body = $"341122{new DateOnly(1950, 1, 1).AddDays(n / 1_000):yyyyMMdd}{n % 1_000:D3}";
        return body + ResidentIdNumber.CheckCharacter(body);
    }

    private static async Task<List<string>> SampleHubIdsAsync(string cs, int n)
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT id FROM subjects TABLESAMPLE SYSTEM (1) LIMIT {n}", c);
        var ids = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) ids.Add(r.GetString(0));
        return ids;
    }

    /// <summary>The bench's own database, loaded with <paramref name="companies"/> companies and as many legal
    /// representatives unless it already is (a marker row says so); its connection string.</summary>
    private static async Task<string> EnsureIndexAsync(int companies, bool reload)
    {
        var (cs, reused) = await BenchDatabase.OpenAsync(Database, "bench_checks_loaded", companies.ToString(CultureInfo.InvariantCulture), reload);
        if (reused)
        {
            Console.WriteLine($"index: reusing database {Database} ({companies * 2:N0} subjects; --reload generates it again)");
            return cs;
        }
        var sw = Stopwatch.StartNew();
        await new IndexDatabase(new PostgresDialect(), cs, TimeProvider.System).MigrateAsync(CancellationToken.None);
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        var counts = await LoadAsync(c, companies);
        Console.WriteLine($"index: generated {counts} in {sw.Elapsed.TotalSeconds:0} s; analysing");
        await using (var analyze = new NpgsqlCommand("ANALYZE", c)) { analyze.CommandTimeout = 0; await analyze.ExecuteNonQueryAsync(); }
        await BenchDatabase.MarkAsync(cs, "bench_checks_loaded", companies.ToString(CultureInfo.InvariantCulture));
        Console.WriteLine($"index: ready after {sw.Elapsed.TotalSeconds:0} s");
        return cs;
    }

    /// <summary>
    /// Company n (1..N) has USCC <c>TestIdentifiers.Uscc(n)</c> (and the organisation code in it, as the aggregator
    /// registers it) and legal representative n, a person with ID number <see cref="Ric"/>(n). By n % 10: 0 and 5 a court's
    /// active JD-4 listing; 1 one removed; 2 one that expired in 2024 (stored expired, as the sweep leaves it); 3 an active
    /// FOOD-SERIOUS listing; 4 an active WAGE-ARREARS listing — each imputed to the representative; 6-9 none.
    /// </summary>
    private static async Task<string> LoadAsync(NpgsqlConnection c, int companies)
    {
        var now = TimeProvider.System.GetUtcNow();
        var companyIds = new string[companies + 1];
        var personIds = new string[companies + 1];
        for (var n = 1; n <= companies; n++)
        {
            companyIds[n] = Guid.CreateVersion7(now).ToString("N");
            personIds[n] = Guid.CreateVersion7(now).ToString("N");
        }

        await using (var w = await c.BeginBinaryImportAsync(
                         "COPY subjects (id, kind, display_name, normalized_name, home_region, created_at, updated_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var n = 1; n <= companies; n++)
            {
                Row(w, companyIds[n], "Organization", $"安徽测试建设工程有限公司{n}", "341122", now);
                Row(w, personIds[n], "Person", $"法人{n}", "341122", now);
            }
            await w.CompleteAsync();
        }
        Console.WriteLine($"  subjects: {2 * companies:N0}");

        await using (var w = await c.BeginBinaryImportAsync("COPY subject_identifiers (scheme, value, subject_id, strong, created_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var n = 1; n <= companies; n++)
            {
                var uscc = TestIdentifiers.Uscc(n);
                Identifier(w, "uscc", uscc, companyIds[n], now);
                Identifier(w, "org-code", Uscc.EmbeddedOrganizationCode(uscc), companyIds[n], now);
                Identifier(w, "ric", Ric(n), personIds[n], now);
            }
            await w.CompleteAsync();
        }
        Console.WriteLine($"  identifiers: {3 * companies:N0}");

        await using (var w = await c.BeginBinaryImportAsync(
                         "COPY relations (id, organization_id, person_id, role, valid_from, valid_to, agency_code, source_record_id, recorded_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var n = 1; n <= companies; n++)
            {
                w.StartRow();
                w.Write(Guid.CreateVersion7(now).ToString("N"), NpgsqlDbType.Text);
                w.Write(companyIds[n], NpgsqlDbType.Text);
                w.Write(personIds[n], NpgsqlDbType.Text);
                w.Write("legal-representative", NpgsqlDbType.Text);
                w.Write(new DateOnly(2020, 1, 1), NpgsqlDbType.Date);
                w.WriteNull();
                w.Write("MARKET-33", NpgsqlDbType.Text);
                w.Write($"REG-{n}", NpgsqlDbType.Text);
                w.Write(now, NpgsqlDbType.TimestampTz);
            }
            await w.CompleteAsync();
        }
        Console.WriteLine($"  relations: {companies:N0}");

        // issued listings first, then the ones imputed from them (their parent must exist)
        var parents = new Dictionary<int, string>();
        var listings = 0;
        foreach (var imputed in new[] { false, true })
        {
            await using var w = await c.BeginBinaryImportAsync(
                "COPY listings (id, subject_id, list_type, legal_basis, catalogue_version, origin_agency, origin_province, source_record_id, source_revision, " +
                "reference, valid_from, valid_until, status, status_reason, ended_on, recorded_at, superseded_at, parent_listing_id, imputed_role) FROM STDIN (FORMAT BINARY)");
            for (var n = 1; n <= companies; n++)
            {
                var kind = n % 10;
                if (kind > 5) continue;
                var (listType, basis, agency, province) = kind switch
                {
                    3 => ("food-safety-serious", "FOOD-SERIOUS", "FOOD-35", "35"),
                    4 => ("wage-arrears-serious", "WAGE-ARREARS", "LABOUR-32", "32"),
                    _ => ("judgment-defaulter", "JD-4", "COURT-34-1122", "34"),
                };
                var from = kind == 2 ? new DateOnly(2022, 1, 1).AddDays(n % 300) : new DateOnly(2026, 6, 11).AddDays(-(n % 365));
                var until = from.AddMonths(kind is 3 or 4 ? 36 : 24).AddDays(-1);
                var (status, reason, endedOn) = kind switch
                {
                    1 => ("removed", "Performed", (DateOnly?)new DateOnly(2026, 9, 1)),
                    2 => ("expired", "expired", until.AddDays(1)),
                    _ => ("active", (string?)null, (DateOnly?)null),
                };
                var id = Guid.CreateVersion7(now).ToString("N");
                if (!imputed) parents[n] = id;
                w.StartRow();
                w.Write(id, NpgsqlDbType.Text);
                w.Write(imputed ? personIds[n] : companyIds[n], NpgsqlDbType.Text);
                w.Write(listType, NpgsqlDbType.Text);
                w.Write(basis, NpgsqlDbType.Text);
                w.Write("2026.1", NpgsqlDbType.Text);
                w.Write(agency, NpgsqlDbType.Text);
                w.Write(province, NpgsqlDbType.Text);
                w.Write($"SRC-{n}", NpgsqlDbType.Text);
                w.Write(1, NpgsqlDbType.Integer);
                w.Write($"(2026)皖1122执{n}号", NpgsqlDbType.Text);
                w.Write(from, NpgsqlDbType.Date);
                w.Write(until, NpgsqlDbType.Date);
                w.Write(status, NpgsqlDbType.Text);
                if (reason is null) w.WriteNull(); else w.Write(reason, NpgsqlDbType.Text);
                if (endedOn is { } e) w.Write(e, NpgsqlDbType.Date); else w.WriteNull();
                w.Write(now, NpgsqlDbType.TimestampTz);
                if (status == "active") w.WriteNull(); else w.Write(now, NpgsqlDbType.TimestampTz);
                if (imputed) w.Write(parents[n], NpgsqlDbType.Text); else w.WriteNull();
                if (imputed) w.Write("legal-representative", NpgsqlDbType.Text); else w.WriteNull();
                listings++;
            }
            await w.CompleteAsync();
        }
        Console.WriteLine($"  listings: {listings:N0}");
        return $"{2 * companies:N0} subjects, {3 * companies:N0} identifiers, {companies:N0} relations, {listings:N0} listings";

        static void Row(NpgsqlBinaryImporter w, string id, string kind, string name, string region, DateTimeOffset at)
        {
            w.StartRow();
            w.Write(id, NpgsqlDbType.Text);
            w.Write(kind, NpgsqlDbType.Text);
            w.Write(name, NpgsqlDbType.Text);
            w.Write(NameNormalizer.Normalize(name), NpgsqlDbType.Text);
            w.Write(region, NpgsqlDbType.Text);
            w.Write(at, NpgsqlDbType.TimestampTz);
            w.Write(at, NpgsqlDbType.TimestampTz);
        }

        static void Identifier(NpgsqlBinaryImporter w, string scheme, string value, string subject, DateTimeOffset at)
        {
            w.StartRow();
            w.Write(scheme, NpgsqlDbType.Text);
            w.Write(value, NpgsqlDbType.Text);
            w.Write(subject, NpgsqlDbType.Text);
            w.Write(true, NpgsqlDbType.Boolean);
            w.Write(at, NpgsqlDbType.TimestampTz);
        }
    }

    /// <summary>Waits until the runtime has compiled nothing for a second (at most 30 s).</summary>
    private static async Task JitSettled()
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

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

/// <summary>How busy the whole machine was during a phase (/proc/stat), and how much of it was neither this process,
/// PostgreSQL nor RabbitMQ: another build or test run on the machine shows here, and its latencies mean little then.</summary>
internal sealed class MachineCpu
{
    private readonly (double Busy, double Total) _start;
    private readonly double _ours;
    private readonly Stopwatch _wall = Stopwatch.StartNew();

    private MachineCpu()
    {
        _start = Read();
        _ours = Ours();
    }

    public static MachineCpu Start() => new();

    public string Report()
    {
        if (!OperatingSystem.IsLinux()) return "machine load unknown";
        var (busy, _) = Read();
        var seconds = _wall.Elapsed.TotalSeconds;
        var all = (busy - _start.Busy) / 100.0;
        var others = Math.Max(0, all - (Ours() - _ours));
        return string.Create(CultureInfo.InvariantCulture,
            $"machine busy {all / seconds:0.00} of {Environment.ProcessorCount} cores, of which other processes {others / seconds:0.00}");
    }

    /// <summary>CPU seconds of this process, PostgreSQL and RabbitMQ so far.</summary>
    private static double Ours() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds + CpuUse.Seconds("postgres") + CpuUse.Seconds("beam.smp");

    private static (double Busy, double Total) Read()
    {
        if (!OperatingSystem.IsLinux()) return (0, 0);
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var idle = f[3] + f[4];
        var total = f.Take(8).Sum();
        return (total - idle, total);
    }
}
