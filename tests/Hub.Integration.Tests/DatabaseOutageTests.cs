using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Testing;
using Hub.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The index database goes away for a minute in the middle of an ingest through the real broker, and comes back: every
/// record is applied, nothing is in the error queue, and meanwhile /health/ready says the aggregator is paused. The
/// database is the real PostgreSQL, reached through a <see cref="TcpProxy"/> the test cuts and restores — stopping the
/// server itself would take it away from the other test projects running beside this one.
/// </summary>
[NonParallelizable]
public sealed class DatabaseOutageTests
{
    private const int Notices = 2_000;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);

    [Test]
    public async Task An_ingest_rides_out_a_database_outage_of_a_minute_and_applies_every_record()
    {
        await using var vhost = await RabbitMqTestVhost.CreateAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var proxy = new TcpProxy(new NpgsqlConnectionStringBuilder(database.ConnectionString).Port);
        proxy.Start();
        var viaProxy = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Port = proxy.Port, Timeout = 3 }.ConnectionString;
        await using var hub = new HubFactory(HubFactory.ServerMode(vhost.HubAmqpUri, viaProxy));
        using var court = await hub.ClientAsAsync(Court);
        using var auditor = await hub.ClientAsAsync("auditor:test");
        await Eventually.Get(async () => (await court.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");

        var requests = Enumerable.Range(0, Notices / 500).Select(r => new JsonArray(Enumerable.Range(r * 500, 500)
            .Select(i => (JsonNode)Company($"OUT-{i}", uscc: TestIdentifiers.Uscc(600_000 + i))).ToArray())).ToList();
        using (var first = await court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", requests[0]))
            Assert.That(first.IsSuccessStatusCode, Is.True, await first.Content.ReadAsStringAsync());

        proxy.Stop();
        var outageEnds = TimeProvider.System.GetUtcNow() + Outage;
        // the court goes on sending: the broker takes everything, the aggregator holds what it has and waits
        foreach (var body in requests.Skip(1))
        {
            using var post = await court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", body);
            Assert.That(post.IsSuccessStatusCode, Is.True, await post.Content.ReadAsStringAsync());
        }
        var paused = await Eventually.Get(async () =>
        {
            using var ready = await court.GetAsync("/health/ready");
            var text = await ready.Content.ReadAsStringAsync();
            return !ready.IsSuccessStatusCode && text.Contains("the aggregator is paused", StringComparison.Ordinal) ? text : null;
        }, "/health/ready saying the aggregator is paused");
        Assert.That(paused, Does.Contain("resumes by itself"));
        var wait = outageEnds - TimeProvider.System.GetUtcNow();
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        proxy.Start();

        var index = hub.Services.GetRequiredService<IndexDatabase>();
        await Eventually.Get(async () => await index.CountListingsAsync(CancellationToken.None) == Notices ? "all" : null,
            "every record applied after the outage", seconds: 120);
        using (var ready = await court.GetAsync("/health/ready"))
            Assert.That(ready.IsSuccessStatusCode, Is.True, "ready again");
        Assert.That(await vhost.QueueDepthAsync("hub.aggregator_error") ?? 0, Is.Zero, "nothing in the error queue");
        var verify = await auditor.GetFromJsonAsync<JsonElement>("/api/audit/verify");
        Assert.That(verify.GetProperty("intact").GetBoolean(), Is.True);
        for (var i = 0; i < Notices; i += 97)
            Assert.That((await court.GetAsync($"/api/subjects?uscc={TestIdentifiers.Uscc(600_000 + i)}")).IsSuccessStatusCode, Is.True, $"OUT-{i} in the index");
    }
}
