using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hub.Bench;

/// <summary>
/// `--embedded`: the embedded default — the Hub as `dotnet run --project src/Hub.Host` starts it, the in-memory bus and
/// a SQLite file — beside the raw baseline and the Hub in server mode, in each round of one run. The same notices, the
/// same court requests of 500 through the HTTP court adapter, the same wait until the index holds every one (and every
/// outbound event has been relayed). Each embedded host gets a new SQLite file on the local disk, under the system's
/// temporary folder (<c>--embedded-dir DIR</c> for another). Its log is read for <c>database is locked</c>, which the
/// round reports. <c>--embedded-only</c> leaves the raw baseline and server mode out (to look at the embedded default alone:
/// no ratio is printed then).
/// </summary>
internal static partial class Bench
{
    static async Task Embedded(List<byte[]> requests, List<byte[]> warmRequests, int n, int warm, int rounds, int envelopeSize, string[] args)
    {
        var results = new List<(double Raw, double Server, double Embedded)>();
        for (var round = 1; round <= rounds; round++)
        {
            if (args.Contains("--embedded-only"))
            {
                var alone = await EmbeddedEndToEnd(requests, warmRequests, n, warm, args);
                Console.WriteLine($"round {round}: Hub, embedded default {alone.Rate,10:N0} notices/s; CPU per notice: {alone.Cpu}; 'database is locked' in its log: {alone.Locked}");
                continue;
            }
            var raw = await RawBaseline(n, warm, envelopeSize);
            Console.WriteLine($"round {round}: raw RabbitMQ.Client   {raw.Rate,10:N0} msg/s   (persistent, publisher confirms, manual acks)");
            Console.WriteLine($"  CPU per message: {raw.Cpu}");
            var server = await HubEndToEnd(requests, warmRequests, n, warm, args);
            Console.WriteLine($"round {round}: Hub, server mode      {server.Rate,10:N0} notices/s (HTTP court adapter → RabbitMQ → aggregator → PostgreSQL)");
            Console.WriteLine($"  CPU per notice: {server.Cpu}");
            var embedded = await EmbeddedEndToEnd(requests, warmRequests, n, warm, args);
            Console.WriteLine($"round {round}: Hub, embedded default {embedded.Rate,10:N0} notices/s (HTTP court adapter → in-memory bus → aggregator → SQLite)");
            Console.WriteLine($"  CPU per notice: {embedded.Cpu}; 'database is locked' in its log: {embedded.Locked}");
            results.Add((raw.Rate, server.Rate, embedded.Rate));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  ratios: embedded/raw {embedded.Rate / raw.Rate:0.00}, server/raw {server.Rate / raw.Rate:0.00}, embedded/server {embedded.Rate / server.Rate:0.00}"));
        }
        if (results.Count == 0) return;
        static double Median(IEnumerable<double> xs) => xs.Order().ElementAt(xs.Count() / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median per round: embedded/raw {Median(results.Select(r => r.Embedded / r.Raw)):0.00}, server/raw {Median(results.Select(r => r.Server / r.Raw)):0.00}, " +
            $"embedded/server {Median(results.Select(r => r.Embedded / r.Server)):0.00} (target ≥ 1.00)"));
    }

    /// <summary><see cref="HubEndToEnd"/> for the embedded default: a new SQLite file, warm-up notices uncounted, then N timed.</summary>
    static async Task<(double Rate, string Cpu, long Locked)> EmbeddedEndToEnd(List<byte[]> requests, List<byte[]> warmRequests, int n, int warm, string[] args)
    {
        var parent = ArgText(args, "--embedded-dir") ?? Path.GetTempPath();
        var folder = Directory.CreateDirectory(Path.Combine(parent, $"hub-bench-embedded-{Guid.NewGuid():N}"));
        var locked = new LockedCounter();
        try
        {
            await using var hub = EmbeddedHost(Path.Combine(folder.FullName, "hub.db"), locked, args);
            var (rate, used, accepted, elapsed, relayed) = await TimeIngest(hub, requests, warmRequests, n, warm);
            await ExpectListings(hub.Services, warm + n);
            Console.WriteLine($"  (adapter: all {n:N0} accepted after {accepted.TotalSeconds:0.0} s; index complete after {elapsed.TotalSeconds:0.0} s; " +
                              $"all {2 * n:N0} outbound events published after {relayed.TotalSeconds:0.0} s)");
            return (rate, used, locked.Count);
        }
        finally
        {
            try { folder.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The embedded default's composition (appsettings.json: in-memory bus, SQLite), with the bench's own key.</summary>
    static WebApplicationFactory<global::Program> EmbeddedHost(string sqliteFile, LockedCounter locked, string[] args) =>
        new WebApplicationFactory<global::Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Production"); // no first-start keys written next to the bench: it makes its own
            b.UseSetting("Hub:Bus:Transport", "InMemory");
            b.UseSetting("Hub:Storage:Provider", "Sqlite");
            b.UseSetting("ConnectionStrings:Index", $"Data Source={sqliteFile}");
            b.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in Settings(args)) b.UseSetting(key, value);
            b.UseSetting("Logging:LogLevel:Hub", Environment.GetEnvironmentVariable("HUB_BENCH_LOG") ?? "Warning");
            b.ConfigureTestServices(s => s.AddSingleton<ILoggerProvider>(locked));
            DropEventsIfAsked(b, args);
        });

    static string? ArgText(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Counts the host's log entries (message or exception) that say <c>database is locked</c>.</summary>
    internal sealed class LockedCounter : ILoggerProvider
    {
        private long _count;
        public long Count => Interlocked.Read(ref _count);
        public ILogger CreateLogger(string categoryName) => new Logger(this);
        public void Dispose() { }

        private sealed class Logger(LockedCounter owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                if (formatter(state, exception).Contains("database is locked", StringComparison.Ordinal)
                    || exception?.ToString().Contains("database is locked", StringComparison.Ordinal) == true)
                {
                    Interlocked.Increment(ref owner._count);
                    if (Environment.GetEnvironmentVariable("HUB_BENCH_LOCKED") == "1") Console.WriteLine($"  locked: {formatter(state, exception)} {exception?.Message}");
                }
            }
        }
    }
}
