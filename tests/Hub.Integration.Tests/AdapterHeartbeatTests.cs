using System.Net.Http.Json;
using System.Text.Json;
using Hub.Storage;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Integration.Tests;

/// <summary>
/// The court adapter running alone has no index to write its heartbeat row in: it sends its beat over the real broker,
/// the aggregator (another process, on PostgreSQL) records it, the console shows the adapter alive — and silent, in red,
/// once it stopped.
/// </summary>
[NonParallelizable]
public sealed class AdapterHeartbeatTests
{
    private RabbitMqTestVhost _vhost = default!;
    private PostgresTestDatabase _database = default!;
    private HubFactory _aggregator = default!;
    private HubFactory? _adapter;
    private HttpClient _operator = default!;

    [OneTimeSetUp]
    public async Task StartHubs()
    {
        _vhost = await RabbitMqTestVhost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        var aggregatorOnly = HubFactory.ServerMode(_vhost.HubAmqpUri, _database.ConnectionString);
        aggregatorOnly["Hub:CourtAdapter:Enabled"] = "false";
        aggregatorOnly["Hub:Console:SilentAfter"] = "00:00:03";
        aggregatorOnly["Hub:Console:HeartbeatInterval"] = "00:00:01";
        _aggregator = new HubFactory(aggregatorOnly);
        _operator = await _aggregator.ClientAsAsync("operator:heartbeats");
        await Eventually.Get(async () => (await _operator.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "the aggregator ready");

        var adapterOnly = HubFactory.ServerMode(_vhost.HubAmqpUri, "Host=no-database.invalid;Database=none;Username=nobody;Password=none");
        adapterOnly["Hub:Aggregator:Enabled"] = "false";
        adapterOnly["Hub:Console:HeartbeatInterval"] = "00:00:00.250";
        adapterOnly["Hub:Console:SilentAfter"] = "00:00:03";
        _adapter = new HubFactory(adapterOnly);
        using var client = _adapter.CreateClient();
        await Eventually.Get(async () => (await client.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "the adapter ready");
    }

    [OneTimeTearDown]
    public async Task StopHubs()
    {
        _operator?.Dispose();
        if (_adapter is not null) await _adapter.DisposeAsync();
        if (_aggregator is not null) await _aggregator.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    private async Task<JsonElement?> AdapterRow() =>
        (await _operator.GetFromJsonAsync<JsonElement>("/api/operator/console/services")).EnumerateArray()
        .Where(i => i.GetProperty("services").GetString() == "court-adapter").Select(i => (JsonElement?)i.Clone()).SingleOrDefault();

    [Test]
    public async Task The_adapter_alone_beats_over_the_broker_and_turns_silent_when_it_stops()
    {
        Assert.That(_adapter!.Services.GetService<IndexDatabase>(), Is.Null, "no index in the adapter's process");
        var alive = await Eventually.Get(async () => await AdapterRow() is { } row && !row.GetProperty("silent").GetBoolean() ? new Box(row) : null,
            "the adapter's heartbeat recorded by the aggregator");
        Assert.That(alive.Value.GetProperty("processId").GetInt32(), Is.EqualTo(Environment.ProcessId));
        Assert.That(alive.Value.GetProperty("version").GetString(), Is.Not.Empty);
        var first = alive.Value.GetProperty("lastSeenAt").GetDateTimeOffset();
        var later = await Eventually.Get(async () => await AdapterRow() is { } row && row.GetProperty("lastSeenAt").GetDateTimeOffset() > first ? new Box(row) : null,
            "a later beat");
        Assert.That(later.Value.GetProperty("instanceId").GetString(), Is.EqualTo(alive.Value.GetProperty("instanceId").GetString()), "one row per process");

        await _adapter.DisposeAsync();
        _adapter = null;
        var silent = await Eventually.Get(async () => await AdapterRow() is { } row && row.GetProperty("silent").GetBoolean() ? new Box(row) : null,
            "the stopped adapter silent");
        Assert.That(silent.Value.GetProperty("silentForSeconds").GetDouble(), Is.GreaterThan(3));
    }

    private sealed record Box(JsonElement Value);
}
