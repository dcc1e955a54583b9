using System.Diagnostics;
using System.Net;
using Hub.Cli;
using Hub.Testing;
using Npgsql;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// <c>hub load</c> against the Hub as production runs it — <c>dotnet Hub.Host.dll</c>, a process of its own, in server
/// mode on the real RabbitMQ and PostgreSQL — killed in the middle of a load and started again: the load resumes from
/// its state file and every notice ends applied exactly once.
/// </summary>
[NonParallelizable]
public sealed class HubLoadTests
{
    private const int Notices = 12_000;

    [Test]
    public async Task A_load_interrupted_by_killing_the_Hub_and_resumed_ends_with_every_notice_applied_once()
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        var dir = Path.Combine(Path.GetTempPath(), $"hub-load-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "notices.jsonl");
        // one notice a line, and a blank line and an unreadable one among them, as real exports have
        await using (var writer = new StreamWriter(file))
        {
            var i = 0;
            foreach (var notice in Companies(Notices, first: 40_001))
            {
                await writer.WriteLineAsync(notice.ToJsonString());
                if (++i == 3_000) await writer.WriteLineAsync("");
                if (i == 5_000) await writer.WriteLineAsync("{\"id\": \"BROKEN-1\", \"iname\": \"x\"}");
            }
        }
        var port = FreePort();
        var keys = Path.Combine(dir, "keys.txt");
        try
        {
            var first = StartHub(dir, port, keys, vhost, database);
            var key = await ReadyAsync(port, keys);
            string[] args = ["load", file, "--agency", Court, "--chunk", "500", "--hub", $"http://127.0.0.1:{port}", "--api-key", key];

            var stderr = new StringWriter();
            var load = Task.Run(() => HubCli.RunAsync(args, new StringWriter(), TextWriter.Synchronized(stderr), http: null, CancellationToken.None));
            // killed once a few chunks are confirmed, while the load goes on and the aggregator is behind
            await Eventually.Get(async () =>
            {
                if (load.IsCompleted) Assert.Fail($"the load ended before it was interrupted ({load.Result}): {stderr}");
                return File.Exists(file + ".hubload") && await ConfirmedLineAsync(file) >= 2_000 ? "some chunks" : null;
            }, "a few chunks confirmed", seconds: 60);
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
            var stopped = await load.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.That(stopped, Is.EqualTo(3), $"the load stops when the Hub is gone: {stderr}");
            Assert.That(stderr.ToString(), Does.Contain("run the same command again to resume"));
            var confirmed = await ConfirmedLineAsync(file);
            Assert.That(confirmed, Is.GreaterThan(0).And.LessThan(Notices), "interrupted in the middle");

            using var second = StartHub(dir, port, keys, vhost, database);
            await ReadyAsync(port, keys);
            var stdout = new StringWriter();
            stderr = new StringWriter();
            var resumed = await HubCli.RunAsync(args, stdout, stderr, http: null, CancellationToken.None);

            Assert.That(resumed, Is.EqualTo(1), $"done, with one notice refused at the door: {stdout}{stderr}");
            Assert.That(stderr.ToString(), Does.Contain($"resuming {file} at line {confirmed + 1:N0}"));
            Assert.That(stdout.ToString(), Does.Contain($"{Notices:N0} accepted, 1 refused at the door"));
            Assert.That(await File.ReadAllTextAsync(file + ".rejects"), Is.EqualTo("5002\tBROKEN-1\tcaseCode is missing\n"),
                "the refusal on its line, once");

            await using var db = new NpgsqlDataSourceBuilder(database.ConnectionString).Build();
            var applied = await Eventually.Value(async () =>
            {
                var n = await ScalarAsync(db, "SELECT count(*) FROM records WHERE agency_code = @a");
                return n >= Notices ? n : (long?)null;
            }, $"all {Notices:N0} notices applied", seconds: 180);
            await Task.Delay(TimeSpan.FromSeconds(2));   // anything applied twice would show now
            Assert.That(await ScalarAsync(db, "SELECT count(*) FROM records WHERE agency_code = @a"), Is.EqualTo(Notices));
            Assert.That(await ScalarAsync(db, "SELECT count(*) FROM listings WHERE origin_agency = @a AND imputed_role IS NULL"), Is.EqualTo(Notices),
                "one listing per notice");
            Assert.That(await ScalarAsync(db, "SELECT count(DISTINCT source_record_id) FROM listings WHERE origin_agency = @a AND imputed_role IS NULL"),
                Is.EqualTo(Notices));
            Assert.That(await ScalarAsync(db, "SELECT count(*) FROM quarantine"), Is.Zero);
            Assert.That(applied, Is.EqualTo(Notices));
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.AddWithValue("a", Court);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<long> ConfirmedLineAsync(string file)
    {
        using var state = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(file + ".hubload"));
        return state.RootElement.GetProperty("line").GetInt64();
    }

    /// <summary>The Hub as <c>dotnet Hub.Host.dll</c> runs it, in server mode on the test's vhost and database.</summary>
    private static Process StartHub(string dir, int port, string keys, RabbitMqTestVhost vhost, PostgresTestDatabase database)
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));   // …/bin/{Configuration}/net10.0
        var host = Path.Combine(RepositoryRoot(), "src", "Hub.Host", "bin", bin.Parent!.Name, bin.Name, "Hub.Host.dll");
        Assert.That(File.Exists(host), Is.True, host);
        var start = new ProcessStartInfo("dotnet", [host, "--contentRoot", Path.GetDirectoryName(host)!])
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production", ["Urls"] = $"http://127.0.0.1:{port}",
                ["Hub__Bus__Transport"] = "RabbitMq", ["ConnectionStrings__RabbitMq"] = vhost.HubAmqpUri.ToString(),
                ["Hub__Storage__Provider"] = "Postgres", ["ConnectionStrings__Index"] = database.ConnectionString,
                ["Hub__Auth__ApiKeys__BootstrapFile"] = keys, ["Hub__Auth__ApiKeys__Bootstrap__0"] = Court,
                ["Logging__LogLevel__Default"] = "Warning",
            },
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Waits until the Hub answers ready; the court's key from the bootstrap file its first start wrote.</summary>
    private static async Task<string> ReadyAsync(int port, string keys)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await Eventually.Get(async () =>
        {
            try { return (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK && File.Exists(keys) ? "ready" : null; }
            catch (HttpRequestException) { return null; }
        }, "the Hub process ready", seconds: 60);
        return (await File.ReadAllLinesAsync(keys)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Single(p => p[0] == Court)[1];
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hub.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("the repository root (Hub.sln) is not above the tests");
    }
}
