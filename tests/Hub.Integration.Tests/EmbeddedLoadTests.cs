using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hub.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The embedded default (in-memory bus, SQLite file) under the ingest benchmark's load, smaller: a few courts posting
/// requests of 500 notices at once while the aggregator applies them, the relay publishes their events, and the
/// heartbeat, the audit trail and the sweeps write to the same file. Every writer in the process takes its turn; none
/// waits until SQLite gives up with <c>database is locked</c>.
/// </summary>
[NonParallelizable]
public sealed class EmbeddedLoadTests
{
    private const int Notices = 4_000;
    private const int PerRequest = 500;
    private const int Posters = 4;

    [Test]
    public async Task The_embedded_default_applies_a_load_of_notices_with_no_database_is_locked_in_its_log()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"hub-embedded-load-{Guid.NewGuid():N}");
        var log = new CapturedLog();
        try
        {
            await using var hub = new HubFactory(HubFactory.Embedded(Path.Combine(folder, "hub.db")), log);
            using var client = await hub.ClientAsAsync(Court);
            client.Timeout = TimeSpan.FromMinutes(5);
            await Eventually.Get(async () => (await client.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
            var db = hub.Services.GetRequiredService<IndexDatabase>();

            var requests = Companies(Notices).Chunk(PerRequest)
                .Select(chunk => new JsonArray(chunk.Select(n => (JsonNode)n).ToArray()).ToJsonString()).ToList();
            using var gate = new SemaphoreSlim(Posters);
            await Task.WhenAll(requests.Select(async body =>
            {
                await gate.WaitAsync();
                try
                {
                    using var content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
                    using var post = await client.PostAsync($"/api/adapters/court/{Court}/notices", content);
                    Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());
                }
                finally { gate.Release(); }
            }));

            // generous: the point is what the log says on the way, not how fast (docs/BENCHMARKS.md has the rates)
            await Eventually.Get(async () => await db.CountListingsAsync(CancellationToken.None) == Notices ? "all" : null,
                $"all {Notices} notices applied", seconds: 300);
            await Eventually.Get(async () => (await db.PendingOutboxAsync(1, CancellationToken.None)).Count == 0 ? "none" : null,
                "every outbound event relayed", seconds: 120);

            var locked = log.Entries.Where(e => e.Contains("database is locked", StringComparison.Ordinal)).ToList();
            Assert.That(locked, Is.Empty, $"{locked.Count} log entries say 'database is locked'; the first:\n{locked.FirstOrDefault()}");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The host's log from Warning up, each entry with its category and exception.</summary>
    private sealed class CapturedLog : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _entries = new();
        public IReadOnlyCollection<string> Entries => _entries;
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(CapturedLog owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) owner._entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)}\n{exception}");
            }
        }
    }
}
