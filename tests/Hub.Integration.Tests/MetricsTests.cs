using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hub.Testing;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// <c>GET /metrics</c> on the embedded default, scraped as Prometheus does: refused without a key or without
/// <c>metrics:read</c>, answered to a monitor's key sent as a bearer token; every series docs/operations.md documents
/// is there, and the figures move when a court's notices arrive (records applied and quarantined, the agency heard
/// from, quarantine waiting); a restarted Hub still knows when the agency last sent; MassTransit's series, from a Hub
/// process of its own.
/// </summary>
[NonParallelizable]
public sealed partial class MetricsTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-metrics-{Guid.NewGuid():N}", "hub.db");
    private HubFactory? _hub;
    private HttpClient _court = default!;
    private HttpClient _monitor = default!;

    /// <summary>The series the tests expect on the embedded default after records arrived; each is documented in docs/operations.md.</summary>
    public static readonly string[] Documented =
    [
        "hub_aggregator_records_total", "hub_aggregator_batch_duration_milliseconds_bucket", "hub_aggregator_batch_size_bucket",
        "hub_aggregator_outbox_published_total",
        "hub_queue_messages", "hub_queue_consumers", "hub_outbox_pending", "hub_outbox_oldest_pending_age_seconds", "hub_quarantine_waiting",
        "hub_instance_heartbeat_age_seconds", "hub_agency_last_record_age_seconds",
    ];

    /// <summary>MassTransit's, checked in a Hub process of its own (<see cref="MassTransits_meter_is_exported_by_a_Hub_process"/>):
    /// MassTransit makes its meter once per process, with the first host's meter factory, so in this test process it ends
    /// with whichever Hub fixture ran first. It declares its counters' unit "ea" (each), which the exporter adds to the name.</summary>
    public static readonly string[] DocumentedMassTransit =
        ["messaging_masstransit_receive_ea_total", "messaging_masstransit_consume_ea_total", "messaging_masstransit_send_ea_total"];

    private static Dictionary<string, string?> Settings(string file)
    {
        var settings = HubFactory.Embedded(file);
        settings["Hub:Metrics:CacheFor"] = "00:00:00.200";
        return settings;
    }

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(Settings(_file));
        _court = await _hub.ClientAsAsync(Court);
        _monitor = await Monitor(_hub);
        await Eventually.Get(async () => (await _court.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _court.Dispose();
        _monitor.Dispose();
        if (_hub is not null) await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    /// <summary>A client for <c>monitor:prometheus</c> that sends its key the way Prometheus's <c>authorization</c> setting does.</summary>
    private static async Task<HttpClient> Monitor(HubFactory hub)
    {
        var keyed = await hub.ClientAsAsync("monitor:prometheus");
        var key = keyed.DefaultRequestHeaders.GetValues(Hub.Host.Security.HubAuthenticationHandler.ApiKeyHeader).Single();
        keyed.Dispose();
        var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>One sample of a scrape: series name, labels, value.</summary>
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)"(,|$)""")]
    private static partial Regex LabelPair();

    /// <summary>Parses Prometheus's text format (version 0.0.4): every sample line; comments and blank lines skipped.</summary>
    public static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var m = SampleLine().Match(line);
            Assert.That(m.Success, Is.True, $"not a sample line of the text format: {line}");
            var labels = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(p => p.Groups["key"].Value, p => Regex.Unescape(p.Groups["value"].Value));
            var value = m.Groups["value"].Value switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, var v => double.Parse(v, CultureInfo.InvariantCulture) };
            samples.Add(new Sample(m.Groups["name"].Value, labels, value));
        }
        return samples;
    }

    private sealed record Scraped(string Text, List<Sample> Samples);

    private async Task<Scraped> Scrape(HttpClient? client = null)
    {
        using var response = await (client ?? _monitor).GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain").Or.EqualTo("application/openmetrics-text"));
        return new Scraped(text, Parse(text));
    }

    private static double Sum(List<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    private static Sample? One(List<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.SingleOrDefault(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    [Test, Order(1)]
    public async Task Metrics_need_a_caller_holding_metrics_read()
    {
        using var anonymous = _hub!.CreateClient();
        using var none = await anonymous.GetAsync("/metrics");
        Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var wrongBearer = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "hub_not-a-key") } };
        using var wrong = await anonymous.SendAsync(wrongBearer);
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await wrong.Content.ReadAsStringAsync(), Does.Contain("the API key is not valid"));

        using var court = await _court.GetAsync("/metrics");
        Assert.That(court.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await court.Content.ReadAsStringAsync(), Does.Contain("metrics:read"));

        using var operatorClient = await _hub!.ClientAsAsync("operator:alice");
        await Scrape(operatorClient);
    }

    [Test, Order(2)]
    public async Task The_documented_series_are_there_and_move_when_notices_arrive()
    {
        var (_, before) = await Scrape();
        var appliedBefore = Sum(before, "hub_aggregator_records_total", ("outcome", "applied"));
        var rejectedBefore = Sum(before, "hub_aggregator_records_total", ("outcome", "rejected"));
        var publishedBefore = Sum(before, "hub_aggregator_outbox_published_total");

        var good = TestIdentifiers.Uscc(7301);
        var bad = TestIdentifiers.Uscc(7302);
        bad = bad[..17] + (bad[17] == '0' ? '1' : '0');                      // a wrong check character: quarantined
        using (var post = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices",
                   new JsonArray(Company("MET-1", uscc: good), Company("MET-2", uscc: TestIdentifiers.Uscc(7303)), Company("MET-3", uscc: bad))))
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());

        var (text, after) = await Eventually.Get(async () =>
        {
            var scrape = await Scrape();
            return Sum(scrape.Samples, "hub_aggregator_records_total", ("outcome", "rejected")) >= rejectedBefore + 1
                   && Sum(scrape.Samples, "hub_aggregator_records_total", ("outcome", "applied")) >= appliedBefore + 2
                   && Sum(scrape.Samples, "hub_aggregator_outbox_published_total") > publishedBefore
                   && One(scrape.Samples, "hub_quarantine_waiting", ("agency", Court), ("reason_code", "invalid-identifier")) is not null
                ? scrape : null;
        }, "the notices counted at /metrics");

        var names = after.Select(s => s.Name).ToHashSet();
        var operations = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "operations.md"));
        foreach (var name in Documented)
        {
            Assert.That(names, Does.Contain(name), $"{name} is not in the scrape:\n{text}");
            Assert.That(operations, Does.Contain(StripSuffix(name)), $"{name} is not documented in docs/operations.md");
        }

        Assert.That(Sum(after, "hub_aggregator_records_total", ("outcome", "applied")) - appliedBefore, Is.EqualTo(2));
        Assert.That(Sum(after, "hub_aggregator_records_total", ("outcome", "rejected")) - rejectedBefore, Is.EqualTo(1));
        Assert.That(One(after, "hub_quarantine_waiting", ("agency", Court), ("reason_code", "invalid-identifier"))!.Value, Is.EqualTo(1));
        var heard = One(after, "hub_agency_last_record_age_seconds", ("agency", Court));
        Assert.That(heard, Is.Not.Null, text);
        Assert.That(heard!.Value, Is.InRange(0, 60), "the court was heard from just now");
        var aggregator = One(after, "hub_queue_messages", ("queue", "hub.aggregator"), ("role", "aggregator"), ("state", "ready"));
        Assert.That(aggregator, Is.Not.Null, text);
        Assert.That(aggregator!.Value, Is.Zero, "everything sent was received");
        Assert.That(One(after, "hub_outbox_oldest_pending_age_seconds")!.Value, Is.GreaterThanOrEqualTo(0));
        var beat = after.Where(s => s.Name == "hub_instance_heartbeat_age_seconds").ToList();
        Assert.That(beat, Has.Count.EqualTo(1), text);
        Assert.That(beat[0].Labels["services"], Does.Contain("aggregator"));
        Assert.That(beat[0].Value, Is.LessThan(60));
        Assert.That(names, Does.Not.Contain("hub_queue_management_reachable"), "no broker to reach on the embedded default: no sample an alert would misread");
    }

    [Test, Order(3)]
    public async Task A_restarted_Hub_knows_from_the_index_when_each_agency_last_sent()
    {
        var (_, before) = await Scrape();
        var age = One(before, "hub_agency_last_record_age_seconds", ("agency", Court));
        Assert.That(age, Is.Not.Null, "the previous test sent records");
        await _hub!.DisposeAsync();                                       // one Hub on the file at a time, as in production
        _hub = null;

        await using var restarted = new HubFactory(Settings(_file));
        using var monitor = await Monitor(restarted);
        await Eventually.Get(async () => (await monitor.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
        var (text, samples) = await Scrape(monitor);
        var known = One(samples, "hub_agency_last_record_age_seconds", ("agency", Court));
        Assert.That(known, Is.Not.Null, $"the restarted Hub read the court's last record from the index:\n{text}");
        Assert.That(known!.Value, Is.GreaterThanOrEqualTo(age!.Value - 1).And.LessThan(120));
    }

    [Test, Order(4)]
    public async Task MassTransits_meter_is_exported_by_a_Hub_process()
    {
        // the Hub as `dotnet Hub.Host.dll` runs it: one host in the process, as in production
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));   // …/bin/{Configuration}/net10.0
        var host = Path.Combine(RepositoryRoot(), "src", "Hub.Host", "bin", bin.Parent!.Name, bin.Name, "Hub.Host.dll");
        Assert.That(File.Exists(host), Is.True, host);
        var dir = Path.Combine(Path.GetTempPath(), $"hub-metrics-process-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var keys = Path.Combine(dir, "keys.txt");
        var port = FreePort();
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [host, "--contentRoot", Path.GetDirectoryName(host)!])
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production", ["Urls"] = $"http://127.0.0.1:{port}",
                ["ConnectionStrings__Index"] = $"Data Source={Path.Combine(dir, "hub.db")}",
                ["Hub__Auth__ApiKeys__BootstrapFile"] = keys,
                ["Hub__Auth__ApiKeys__Bootstrap__0"] = "monitor:prometheus", ["Hub__Auth__ApiKeys__Bootstrap__1"] = Court,
                ["Logging__LogLevel__Default"] = "Warning",
            },
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Eventually.Get(async () =>
            {
                try { return (await http.GetAsync("/health/ready")).IsSuccessStatusCode && File.Exists(keys) ? "ready" : null; }
                catch (HttpRequestException) { return null; }
            }, "the Hub process ready", seconds: 60);
            var key = (await File.ReadAllLinesAsync(keys)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .ToDictionary(p => p[0], p => p[1]);
            using var court = new HttpRequestMessage(HttpMethod.Post, $"/api/adapters/court/{Court}/notices")
            {
                Headers = { { Hub.Host.Security.HubAuthenticationHandler.ApiKeyHeader, key[Court] } },
                Content = JsonContent.Create(new JsonArray(Company("MT-1", uscc: TestIdentifiers.Uscc(7311)))),
            };
            using (var posted = await http.SendAsync(court))
                Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK), await posted.Content.ReadAsStringAsync());
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key["monitor:prometheus"]);
            var scrape = await Eventually.Get(async () =>
            {
                var s = await Scrape(http);
                return Sum(s.Samples, "messaging_masstransit_consume_ea_total") >= 1 && Sum(s.Samples, "hub_aggregator_outbox_published_total") >= 1 ? s : null;
            }, "the notice consumed and its events relayed, counted at /metrics");
            var operations = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "operations.md"));
            foreach (var name in DocumentedMassTransit.Concat(Documented.Except(["hub_quarantine_waiting"])))
            {
                Assert.That(scrape.Samples.Select(x => x.Name), Does.Contain(name), $"{name} is not in the scrape:\n{scrape.Text}");
                Assert.That(operations, Does.Contain(StripSuffix(name)), $"{name} is not documented in docs/operations.md");
            }
            Assert.That(One(scrape.Samples, "messaging_masstransit_receive_ea_total", ("messaging_masstransit_destination", "hub_aggregator")), Is.Not.Null, scrape.Text);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary><c>x_total</c>, <c>x_bucket</c>: documented by their base name (<c>x</c>).</summary>
    private static string StripSuffix(string name) =>
        Regex.Replace(name, "_(total|bucket)$", "");

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hub.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("the repository root (Hub.sln) is not above the tests");
    }
}
