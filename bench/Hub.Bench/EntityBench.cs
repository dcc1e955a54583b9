using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Hub.Domain.Identifiers;
using Hub.Domain.Intake;
using Hub.Domain.Resolution;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Storage.Postgres;
using Hub.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Hub.Bench;

/// <summary>
/// The cross-province entity index at national scale: an index of 10 million subjects in PostgreSQL (half
/// organisations, half persons, with realistic Chinese names, so that common names repeat as they do), then, over HTTP
/// against the Hub host in server mode, lookups by strong identifier and name searches; then the ingest benchmark's
/// notices into that index, the Hub with full resolution and with strong keys only, beside the raw baseline.
///   dotnet run -c Release --project bench/Hub.Bench -- --entities [--subjects N] [--lookups N] [--searches N] [--warmup N] [--notices N] [--rounds R] [--reload] [--cold]
/// The database (hub_bench_entities) is generated once with COPY and reused while it holds the same number of subjects.
/// </summary>
internal static partial class Bench
{
    private const string EntityDatabase = "hub_bench_entities";
    private const string EntityAgency = "MARKET-33";

    public static async Task<int> EntityIndexAsync(string[] args)
    {
        var subjects = Arg(args, "--subjects", 10_000_000);
        var lookups = Arg(args, "--lookups", 5_000);
        var searches = Arg(args, "--searches", 2_000);
        // uncounted lookups before timing (searches: a third as many): a Hub that has run for a while has compiled the
        // view's rarer paths too; at 1,000 the runtime was still compiling 1,269 methods during the timed lookups
        var warmup = Arg(args, "--warmup", 4_000);
        var notices = Arg(args, "--notices", 10_000);
        var rounds = Arg(args, "--rounds", 2);
        var people = subjects / 2;
        var companies = subjects - people;
        Console.WriteLine($"Entity-index benchmark: {subjects:N0} subjects ({companies:N0} organisations, {people:N0} persons), {lookups:N0} lookups, " +
                          $"{searches:N0} name searches, ingest of {notices:N0} notices x {rounds} round(s); {Environment.ProcessorCount} cores");
        var cs = await EnsureEntityIndexAsync(companies, people, args.Contains("--reload"));
        var population = new Population(companies, people);
        if (!args.Contains("--cold")) await BenchDatabase.PrewarmAsync(cs);

        if (!args.Contains("--no-queries"))
        {
            await using var vhost = await RabbitMqTestVhost.CreateAsync();
            var inHub = new ServerTiming(path => path.StartsWithSegments("/api/subjects"));
            await using var hub = HubHost(vhost, cs, args, b => b.ConfigureServices(s => s.AddSingleton<IStartupFilter>(inHub)));
            hub.UseKestrel(0);
            hub.StartServer();
            using var client = hub.CreateClient();
            client.Timeout = TimeSpan.FromMinutes(2);
            while (!(await client.GetAsync("/health/ready")).IsSuccessStatusCode) await Task.Delay(100);
            var maker = hub.Services.GetRequiredService<Hub.Domain.Access.AccessPolicy>().Resolve("operator:bench");
            var (_, key) = await hub.Services.GetRequiredService<ApiKeyService>().CreateAsync(EntityAgency, "bench", maker, CancellationToken.None);
            client.DefaultRequestHeaders.Add(HubAuthenticationHandler.ApiKeyHeader, key);
            Console.WriteLine($"Hub listening at {client.BaseAddress} (Kestrel, loopback socket), index {EntityDatabase}");

            var random = new Random(20261127);
            // uncounted: the host's first use builds code of its own; then a wait until the JIT is quiet
            await Timed(client, Enumerable.Range(0, warmup).Select(_ => population.Lookup(random)).ToList());
            await Timed(client, Enumerable.Range(0, warmup / 3).Select(_ => population.Search(random)).ToList());
            await JitSettled();

            inHub.Take();
            var cpu = CpuUse.Start();
            var machine = MachineCpu.Start();
            var lookupTimes = await Timed(client, Enumerable.Range(0, lookups).Select(_ => population.Lookup(random)).ToList());
            Console.WriteLine($"lookups by strong identifier (USCC 45%, organisation code 10%, ID number 35%, unknown 10%): {lookupTimes.Summary} " +
                              $"(target p99 ≤ 5 ms)");
            Console.WriteLine($"  of which in the Hub (first middleware to answer written): {CheckBench.Percentiles(inHub.Take())}");
            foreach (var (kind, times) in lookupTimes.ByKind.OrderBy(k => k.Key, StringComparer.Ordinal)) Console.WriteLine($"  {kind}: {CheckBench.Percentiles(times)}");
            Console.WriteLine($"  CPU per lookup: {cpu.PerMessage(lookups)}; {machine.Report()}");

            cpu = CpuUse.Start();
            machine = MachineCpu.Start();
            var searchTimes = await Timed(client, Enumerable.Range(0, searches).Select(_ => population.Search(random)).ToList());
            Console.WriteLine($"name searches (person with birth date 40%, person by name alone 25%, organisation 35%): {searchTimes.Summary} (target p99 ≤ 50 ms)");
            foreach (var (kind, times) in searchTimes.ByKind) Console.WriteLine($"  {kind}: {CheckBench.Percentiles(times)}");
            Console.WriteLine($"  candidates per search: {searchTimes.Candidates / (double)searches:0.0} on average; CPU per search: {cpu.PerMessage(searches)}; {machine.Report()}");
        }

        if (rounds > 0) await ResolutionCostAsync(cs, notices, rounds, args);
        return 0;
    }

    /// <summary>
    /// The ingest benchmark's court notices (a company by USCC with its legal representative by ID number, both new:
    /// the representative is looked for by weak evidence too) into the 10-million-subject index: the raw baseline, the
    /// Hub with full resolution and with <c>Hub:Aggregator:WeakResolution=false</c> (strong keys only), side by side in
    /// each round, each on fresh notices.
    /// </summary>
    private static async Task ResolutionCostAsync(string cs, int n, int rounds, string[] args)
    {
        const int envelopeSize = 1_700;
        var warm = Arg(args, "--host-warmup", 2_000);
        var full = new List<double>();
        var strongOnly = new List<double>();
        // notices' USCCs and ID numbers beyond the generated ones' and beyond those of earlier runs into this index: sent
        // again, they would be duplicates, not applied. Each phase starts in a birth year of its own: notice i's
        // representative is born on 1960-01-01 plus i / 500 days in one county, 500 people a day, so within a year ~30 of
        // them would share each masked number (county, birth year, last four) — 25 times a real county's density, which
        // made each later phase's weak candidates more numerous than the last's. Within a phase of 10,000 notices (20
        // days) about one person shares a notice's masked number, as in a county of a million people.
        int next;
        await using (var c = new NpgsqlConnection(cs))
        {
            await c.OpenAsync();
            await using var last = new NpgsqlCommand(
                "SELECT COALESCE(max(substr(source_record_id, 7)::int), 6000000) FROM records WHERE source_record_id LIKE 'BENCH-%'", c);
            next = NextBirthYear((int)(await last.ExecuteScalarAsync())!);
        }
        static int NextBirthYear(int after)
        {
            var origin = new DateOnly(1960, 1, 1);
            return (new DateOnly(origin.AddDays(after / 500).Year + 1, 1, 1).DayNumber - origin.DayNumber) * 500;
        }
        // uncounted: the first Hub host of the process compiles MassTransit, ASP.NET Core and Npgsql; neither
        // configuration may pay for it
        await RawBaseline(warm, 0, envelopeSize);
        await HubIntoIndexAsync(cs, Requests(warm, next), Requests(warm, next + warm), warm, warm, args);
        next = NextBirthYear(next + 2 * warm);
        for (var round = 1; round <= rounds; round++)
        {
            var raw = await RawBaseline(n, warm, envelopeSize);
            Console.WriteLine($"round {round}: raw RabbitMQ.Client            {raw.Rate,10:N0} msg/s; CPU per message: {raw.Cpu}");
            // each configuration first in every other round
            foreach (var weak in round % 2 == 1 ? new[] { true, false } : [false, true])
            {
                var warmRequests = Requests(warm, next);
                next += warm;
                var requests = Requests(n, next);
                next = NextBirthYear(next + n);
                var hub = await HubIntoIndexAsync(cs, requests, warmRequests, n, warm, [.. args, "--set", $"Hub:Aggregator:WeakResolution={weak}"]);
                Console.WriteLine($"round {round}: Hub, {(weak ? "full resolution " : "strong keys only")}  {hub.Rate,10:N0} notices/s; CPU per notice: {hub.Cpu}");
                (weak ? full : strongOnly).Add(hub.Rate / raw.Rate);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  ratios Hub/raw: full {full[^1]:0.000}, strong keys only {strongOnly[^1]:0.000}: full is {(full[^1] / strongOnly[^1] - 1) * 100:+0.0;-0.0}%"));
        }
        // side by side within each round (the same raw baseline, minutes apart), and over the rounds, where each
        // configuration went first as often as second: whichever goes first in a round pays what the runtime still
        // compiles then
        var differences = full.Zip(strongOnly, (f, s) => f / s - 1).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"full resolution against strong keys only, round by round: {string.Join(", ", differences.Select(d => $"{d * 100:+0.0;-0.0}%"))}; " +
            $"mean {differences.Average() * 100:+0.0;-0.0}% (target: within 10%)"));
    }

    /// <summary>As the ingest benchmark's Hub end to end, into the given (large) index rather than a new database.</summary>
    private static async Task<(double Rate, string Cpu)> HubIntoIndexAsync(string cs, List<byte[]> requests, List<byte[]> warmRequests, int n, int warm,
        string[] args)
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var hub = HubHost(vhost, cs, args);
        var (rate, cpu, _, _, _) = await TimeIngest(hub, requests, warmRequests, n, warm);
        return (rate, cpu);
    }


    // ---- requests and their timing ----

    private sealed record BenchRequest(string Kind, HttpMethod Method, string Path, byte[]? Body);

    private sealed class Timings
    {
        public List<double> All { get; } = [];
        public Dictionary<string, List<double>> ByKind { get; } = [];
        public long Candidates { get; set; }
        public string Summary => CheckBench.Percentiles(All);
    }

    private static async Task<Timings> Timed(HttpClient client, List<BenchRequest> requests)
    {
        var timings = new Timings();
        foreach (var r in requests)
        {
            var sw = Stopwatch.StartNew();
            using var message = new HttpRequestMessage(r.Method, r.Path);
            if (r.Body is not null)
            {
                message.Content = new ByteArrayContent(r.Body);
                message.Content.Headers.ContentType = new("application/json");
            }
            using var answer = await client.SendAsync(message);
            var text = await answer.Content.ReadAsStringAsync();
            var ms = sw.Elapsed.TotalMilliseconds;
            var expected = r.Kind.StartsWith("unknown", StringComparison.Ordinal) ? System.Net.HttpStatusCode.NotFound : System.Net.HttpStatusCode.OK;
            if (answer.StatusCode != expected) throw new InvalidOperationException($"{r.Kind} {r.Path} answered {(int)answer.StatusCode}: {text}");
            timings.All.Add(ms);
            (timings.ByKind.TryGetValue(r.Kind, out var list) ? list : timings.ByKind[r.Kind] = []).Add(ms);
            if (r.Path.EndsWith("/candidates", StringComparison.Ordinal))
            {
                var found = JsonDocument.Parse(text).RootElement.GetArrayLength();
                if (found == 0) throw new InvalidOperationException($"a {r.Kind} search for a subject the index holds found nobody");
                timings.Candidates += found;
            }
        }
        return timings;
    }

    /// <summary>
    /// The generated population, each subject a function of its number so that the queries can name subjects the index
    /// holds without keeping them: organisation n (0..O-1) and person n (0..P-1); organisation n's legal representative
    /// is person (n × 7,919) mod P, so some people represent several organisations and some none.
    /// </summary>
    private sealed class Population(int companies, int people)
    {
        // 60 county-level regions in 30 provinces (341122 is left to the ingest benchmark's notices)
        private static readonly string[] Regions =
        [
            "110101", "110105", "120101", "130102", "130203", "140105", "150102", "210102", "210202", "220102", "230102", "310101", "310104",
            "310115", "320102", "320205", "320505", "330102", "330106", "330203", "330302", "340102", "340104", "341102", "341103", "350102",
            "350203", "360102", "370102", "370202", "410102", "410302", "420102", "420502", "430102", "430202", "440103", "440106", "440305",
            "440604", "450102", "460105", "500101", "500103", "510104", "510107", "520102", "530102", "540102", "610102", "610113", "620102",
            "630102", "640104", "650102", "330482", "321084", "441900", "350583", "371002",
        ];
        private static readonly string Surnames =
            "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
        private static readonly string GivenChars =
            "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文斌辉鹏飞鑫宇浩凯健俊帆帅旭宁婷雪琳晶燕峰波斌亮成林海龙欣怡佳雨晨子轩涵萱梓博睿泽瑞嘉思彤诗琪佩玲春秋冬荣富贵德才善良永安康庆福禄寿喜";
        private static readonly string CoreChars =
            "华兴盛达通鑫源恒泰丰宏信诚利隆昌顺发新中国际金银天地东南西北安康宁和平美佳力创科技智能网联云数码电子光机械工程建设" +
            "物流贸易实业投资控股集团环保能源化工医药食品饮料农业林牧渔水产酒店餐饮文化传媒教育咨询服务劳务人力资源汽车配件钢铁建材";
        private static readonly string[] Industries =
            ["建设工程", "商贸", "食品", "餐饮管理", "劳务派遣", "科技", "物流", "建材", "房地产开发", "农业开发", "医药", "环保科技", "汽车销售", "电子", "文化传媒"];
        private static readonly string[] Forms = ["有限公司", "有限责任公司", "股份有限公司"];
        private static readonly double[] SurnameCumulative = Cumulative(Surnames.Length, 1.0);
        private static readonly double[] GivenCumulative = Cumulative(GivenChars.Length, 0.7);

        private static double[] Cumulative(int n, double s)
        {
            var w = Enumerable.Range(1, n).Select(r => 1 / Math.Pow(r, s)).ToArray();
            var total = w.Sum();
            var c = new double[n];
            double acc = 0;
            for (var i = 0; i < n; i++) c[i] = acc += w[i] / total;
            return c;
        }

        private static ulong Mix(ulong x)
        {
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return x ^ (x >> 31);
        }

        private static double Unit(ulong h) => (h >> 11) * (1.0 / (1UL << 53));

        private static int Pick(double[] cumulative, double u)
        {
            var i = Array.BinarySearch(cumulative, u);
            return Math.Min(i < 0 ? ~i : i, cumulative.Length - 1);
        }

        public int Companies => companies;
        public int People => people;

        public static string RegionOf(int n) => Regions[n % Regions.Length];

        /// <summary>Person n's birth date: 1950–2004, spread over the days; unique with the region and a sequence.</summary>
        public static DateOnly BirthOf(int n) => new DateOnly(1950, 1, 1).AddDays(n / Regions.Length % 20_089);

        public static string RicOf(int n)
        {
            var body = $"{RegionOf(n)}{BirthOf(n):yyyyMMdd}{n / Regions.Length / 20_089 % 1_000:D3}";
            return body + ResidentIdNumber.CheckCharacter(body);
        }

        /// <summary>A surname by frequency (王, 李, 张 most), and one or two given-name characters, common ones more often.</summary>
        public static string PersonName(int n)
        {
            var h = Mix((ulong)n);
            var name = Surnames[Pick(SurnameCumulative, Unit(h))].ToString();
            h = Mix(h);
            name += GivenChars[Pick(GivenCumulative, Unit(h))];
            h = Mix(h);
            if (Unit(h) < 0.6) name += GivenChars[Pick(GivenCumulative, Unit(Mix(h)))];
            return name;
        }

        public static string CompanyName(int n)
        {
            var h = Mix(0x5EED_0000_0000UL + (ulong)n);
            var region = RegionOf(n);
            var province = Hub.Domain.Identifiers.Regions.ProvinceOf(region)?.Name ?? "";
            var prefix = province.Replace("省", "").Replace("市", "").Replace("自治区", "").Replace("壮族", "").Replace("回族", "").Replace("维吾尔", "");
            var core = string.Concat(Enumerable.Range(0, 2 + (int)(h % 2)).Select(i => CoreChars[(int)(Mix(h + (ulong)i) % (ulong)CoreChars.Length)]));
            return prefix + core + Industries[(int)(Mix(h ^ 7) % (ulong)Industries.Length)] + Forms[(int)(Mix(h ^ 11) % (ulong)Forms.Length)];
        }

        public static string UsccOf(int n)
        {
            var body = $"{n + 10_000_000:D8}"[^8..];
            var first17 = "91" + RegionOf(n) + body + OrganizationCode.CheckCharacter(body);
            return first17 + Uscc.CheckCharacter(first17);
        }

        public int RepresentativeOf(int company) => (int)((long)company * 7_919 % people);

        public BenchRequest Lookup(Random random)
        {
            var roll = random.Next(100);
            if (roll < 45) return new("uscc", HttpMethod.Get, $"/api/subjects?uscc={UsccOf(random.Next(companies))}", null);
            if (roll < 55) return new("org-code", HttpMethod.Get, $"/api/subjects?orgCode={Uscc.EmbeddedOrganizationCode(UsccOf(random.Next(companies)))}", null);
            if (roll < 90) return new("ric", HttpMethod.Post, "/api/subjects/search", JsonSerializer.SerializeToUtf8Bytes(new { ric = RicOf(random.Next(people)) }));
            return new("unknown uscc", HttpMethod.Get, $"/api/subjects?uscc={UsccOf(companies + 1 + random.Next(1_000_000))}", null);
        }

        public BenchRequest Search(Random random)
        {
            var roll = random.Next(100);
            if (roll < 40)
            {
                var n = random.Next(people);
                return new("person with birth date", HttpMethod.Post, "/api/subjects/candidates",
                    JsonSerializer.SerializeToUtf8Bytes(new { name = PersonName(n), kind = "Person", birthDate = BirthOf(n), region = RegionOf(n) }));
            }
            if (roll < 65)
                return new("person by name alone", HttpMethod.Post, "/api/subjects/candidates",
                    JsonSerializer.SerializeToUtf8Bytes(new { name = PersonName(random.Next(people)), kind = "Person" }));
            // as a bureau types it: without the province, in full-width brackets where the register has none
            var c = random.Next(companies);
            var name = CompanyName(c);
            return new("organisation", HttpMethod.Post, "/api/subjects/candidates",
                JsonSerializer.SerializeToUtf8Bytes(new { name = name.Replace("有限责任公司", "有限公司"), kind = "Organization", region = RegionOf(c) }));
        }
    }

    // ---- the index: generated once ----

    private static async Task<string> EnsureEntityIndexAsync(int companies, int people, bool reload)
    {
        var marker = $"{companies}/{people}";
        var (cs, reused) = await BenchDatabase.OpenAsync(EntityDatabase, "bench_entities_loaded", marker, reload);
        if (reused)
        {
            Console.WriteLine($"index: reusing database {EntityDatabase} ({companies + people:N0} subjects; --reload generates it again)");
            await new IndexDatabase(new PostgresDialect(), cs, TimeProvider.System).MigrateAsync(CancellationToken.None);
            return cs;
        }
        var sw = Stopwatch.StartNew();
        await new IndexDatabase(new PostgresDialect(), cs, TimeProvider.System).MigrateAsync(CancellationToken.None);
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        // bulk load: the secondary indexes are built after the rows are in, and the foreign keys are added (and checked)
        // after them; the schema is the Hub's own, as migrated
        var indexes = new List<(string Name, string Definition)>();
        await using (var read = new NpgsqlCommand(
                         "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('subjects', 'subject_identifiers', 'relations', 'listings') " +
                         "AND indexname NOT LIKE '%_pkey'", c))
        await using (var r = await read.ExecuteReaderAsync())
            while (await r.ReadAsync()) indexes.Add((r.GetString(0), r.GetString(1)));
        var foreignKeys = new List<(string Table, string Name, string Definition)>();
        await using (var read = new NpgsqlCommand(
                         "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' " +
                         "AND conrelid::regclass::text IN ('subjects', 'subject_identifiers', 'relations', 'listings')", c))
        await using (var r = await read.ExecuteReaderAsync())
            while (await r.ReadAsync()) foreignKeys.Add((r.GetString(0), r.GetString(1), r.GetString(2)));
        foreach (var (table, name, _) in foreignKeys) await BenchDatabase.Exec(c, $"ALTER TABLE {table} DROP CONSTRAINT {name}");
        foreach (var (name, _) in indexes) await BenchDatabase.Exec(c, $"DROP INDEX {name}");
        var population = new Population(companies, people);
        await LoadEntitiesAsync(c, population);
        Console.WriteLine($"index: rows in after {sw.Elapsed.TotalSeconds:0} s; building {indexes.Count} indexes and {foreignKeys.Count} foreign keys");
        await BenchDatabase.Exec(c, "SET maintenance_work_mem = '1GB'");
        foreach (var (name, definition) in indexes)
        {
            var isw = Stopwatch.StartNew();
            await BenchDatabase.Exec(c, definition);
            Console.WriteLine($"  {name}: {isw.Elapsed.TotalSeconds:0} s");
        }
        foreach (var (table, name, definition) in foreignKeys) await BenchDatabase.Exec(c, $"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}");
        await BenchDatabase.Exec(c, "VACUUM ANALYZE");
        await BenchDatabase.MarkAsync(cs, "bench_entities_loaded", marker);
        Console.WriteLine($"index: ready after {sw.Elapsed.TotalSeconds:0} s");
        return cs;
    }

    /// <summary>
    /// Subjects with their identifiers as the aggregator stores them — an organisation's USCC and the organisation code
    /// in it, its core name; a person's ID number, its masked form and the name-with-birth-date key — each organisation's
    /// legal representative, and listings: 1 organisation in 20 has an active JD-4 listing imputed to its representative,
    /// 1 person in 100 a JD-1 listing of their own.
    /// </summary>
    private static async Task LoadEntitiesAsync(NpgsqlConnection c, Population p)
    {
        var now = TimeProvider.System.GetUtcNow();
        var companyIds = new string[p.Companies];
        var personIds = new string[p.People];
        for (var n = 0; n < p.Companies; n++) companyIds[n] = Guid.CreateVersion7(now).ToString("N");
        for (var n = 0; n < p.People; n++) personIds[n] = Guid.CreateVersion7(now).ToString("N");
        var sw = Stopwatch.StartNew();

        await using (var w = await c.BeginBinaryImportAsync(
                         "COPY subjects (id, kind, display_name, normalized_name, home_region, created_at, updated_at, core_name) FROM STDIN (FORMAT BINARY)"))
        {
            for (var n = 0; n < p.Companies; n++)
            {
                var name = Population.CompanyName(n);
                SubjectRow(w, companyIds[n], "Organization", name, NameNormalizer.Normalize(name), Population.RegionOf(n), now, OrganizationNames.Core(name));
            }
            for (var n = 0; n < p.People; n++)
            {
                var name = Population.PersonName(n);
                SubjectRow(w, personIds[n], "Person", name, NameNormalizer.Normalize(name), Population.RegionOf(n), now, null);
            }
            await w.CompleteAsync();
        }
        Console.WriteLine($"  subjects: {p.Companies + p.People:N0} ({sw.Elapsed.TotalSeconds:0} s)");

        await using (var w = await c.BeginBinaryImportAsync("COPY subject_identifiers (scheme, value, subject_id, strong, created_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var n = 0; n < p.Companies; n++)
            {
                var uscc = Population.UsccOf(n);
                IdentifierRow(w, "uscc", uscc, companyIds[n], true, now);
                IdentifierRow(w, "org-code", Uscc.EmbeddedOrganizationCode(uscc), companyIds[n], true, now);
            }
            for (var n = 0; n < p.People; n++)
            {
                var ric = Population.RicOf(n);
                IdentifierRow(w, "ric", ric, personIds[n], true, now);
                IdentifierRow(w, SubjectKeys.MaskedScheme, ResidentIdNumber.MaskNumber(ric), personIds[n], false, now);
                IdentifierRow(w, SubjectKeys.NameBirthScheme, SubjectKeys.NameBirthKey(NameNormalizer.Normalize(Population.PersonName(n)), Population.BirthOf(n)),
                    personIds[n], false, now);
            }
            await w.CompleteAsync();
        }
        Console.WriteLine($"  identifiers: {2L * p.Companies + 3L * p.People:N0} ({sw.Elapsed.TotalSeconds:0} s)");

        await using (var w = await c.BeginBinaryImportAsync(
                         "COPY relations (id, organization_id, person_id, role, valid_from, valid_to, agency_code, source_record_id, recorded_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var n = 0; n < p.Companies; n++)
            {
                w.StartRow();
                w.Write(Guid.CreateVersion7(now).ToString("N"), NpgsqlDbType.Text);
                w.Write(companyIds[n], NpgsqlDbType.Text);
                w.Write(personIds[p.RepresentativeOf(n)], NpgsqlDbType.Text);
                w.Write("legal-representative", NpgsqlDbType.Text);
                w.Write(new DateOnly(2018, 1, 1).AddDays(n % 2_000), NpgsqlDbType.Date);
                w.WriteNull();
                w.Write("MARKET-33", NpgsqlDbType.Text);
                w.Write($"REG-{n}", NpgsqlDbType.Text);
                w.Write(now, NpgsqlDbType.TimestampTz);
            }
            await w.CompleteAsync();
        }
        Console.WriteLine($"  relations: {p.Companies:N0} ({sw.Elapsed.TotalSeconds:0} s)");

        var listings = 0;
        var parents = new Dictionary<int, string>();
        foreach (var imputed in new[] { false, true })
        {
            await using var w = await c.BeginBinaryImportAsync(
                "COPY listings (id, subject_id, list_type, legal_basis, catalogue_version, origin_agency, origin_province, source_record_id, source_revision, " +
                "reference, valid_from, valid_until, status, status_reason, ended_on, recorded_at, superseded_at, parent_listing_id, imputed_role) FROM STDIN (FORMAT BINARY)");
            for (var n = 0; n < p.Companies; n += 20)
            {
                var id = Guid.CreateVersion7(now).ToString("N");
                if (!imputed) parents[n] = id;
                var from = new DateOnly(2026, 6, 11).AddDays(-(n % 365));
                ListingRow(w, id, imputed ? personIds[p.RepresentativeOf(n)] : companyIds[n], "judgment-defaulter", "JD-4", "COURT-34-1122", "34",
                    $"ENT-{n}", $"(2026)皖1122执{n}号", from, from.AddMonths(24).AddDays(-1), now, imputed ? parents[n] : null, imputed ? "legal-representative" : null);
                listings++;
            }
            if (!imputed)
                for (var n = 0; n < p.People; n += 100)
                {
                    var from = new DateOnly(2026, 3, 2).AddDays(-(n % 365));
                    ListingRow(w, Guid.CreateVersion7(now).ToString("N"), personIds[n], "judgment-defaulter", "JD-1", "COURT-34-1122", "34",
                        $"ENT-P-{n}", $"(2026)皖1122执{n}号之一", from, from.AddMonths(24).AddDays(-1), now, null, null);
                    listings++;
                }
            await w.CompleteAsync();
        }
        Console.WriteLine($"  listings: {listings:N0} ({sw.Elapsed.TotalSeconds:0} s)");
    }

    private static void SubjectRow(NpgsqlBinaryImporter w, string id, string kind, string name, string normalized, string region, DateTimeOffset now, string? core)
    {
        w.StartRow();
        w.Write(id, NpgsqlDbType.Text);
        w.Write(kind, NpgsqlDbType.Text);
        w.Write(name, NpgsqlDbType.Text);
        w.Write(normalized, NpgsqlDbType.Text);
        w.Write(region, NpgsqlDbType.Text);
        w.Write(now, NpgsqlDbType.TimestampTz);
        w.Write(now, NpgsqlDbType.TimestampTz);
        if (core is null) w.WriteNull();
        else w.Write(core, NpgsqlDbType.Text);
    }

    private static void IdentifierRow(NpgsqlBinaryImporter w, string scheme, string value, string subjectId, bool strong, DateTimeOffset now)
    {
        w.StartRow();
        w.Write(scheme, NpgsqlDbType.Text);
        w.Write(value, NpgsqlDbType.Text);
        w.Write(subjectId, NpgsqlDbType.Text);
        w.Write(strong, NpgsqlDbType.Boolean);
        w.Write(now, NpgsqlDbType.TimestampTz);
    }

    private static void ListingRow(NpgsqlBinaryImporter w, string id, string subjectId, string listType, string basis, string agency, string province,
        string sourceId, string reference, DateOnly from, DateOnly until, DateTimeOffset now, string? parent, string? role)
    {
        w.StartRow();
        w.Write(id, NpgsqlDbType.Text);
        w.Write(subjectId, NpgsqlDbType.Text);
        w.Write(listType, NpgsqlDbType.Text);
        w.Write(basis, NpgsqlDbType.Text);
        w.Write("2026.2", NpgsqlDbType.Text);
        w.Write(agency, NpgsqlDbType.Text);
        w.Write(province, NpgsqlDbType.Text);
        w.Write(sourceId, NpgsqlDbType.Text);
        w.Write(1, NpgsqlDbType.Integer);
        w.Write(reference, NpgsqlDbType.Text);
        w.Write(from, NpgsqlDbType.Date);
        w.Write(until, NpgsqlDbType.Date);
        w.Write("active", NpgsqlDbType.Text);
        w.WriteNull();
        w.WriteNull();
        w.Write(now, NpgsqlDbType.TimestampTz);
        w.WriteNull();
        if (parent is null) w.WriteNull();
        else w.Write(parent, NpgsqlDbType.Text);
        if (role is null) w.WriteNull();
        else w.Write(role, NpgsqlDbType.Text);
    }
}
