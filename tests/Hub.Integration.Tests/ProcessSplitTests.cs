using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// Server mode split in two processes on one real broker, each running only what it serves: the court adapter alone
/// (no index database, no credentials for one, no schema migration, no query API; its audit entries travel to the
/// aggregator) and the aggregator alone (the index and its API, no adapter routes).
/// </summary>
[NonParallelizable]
public sealed class ProcessSplitTests
{
    private RabbitMqTestVhost _vhost = default!;
    private PostgresTestDatabase _database = default!;
    private HubFactory _adapter = default!;
    private HubFactory _aggregator = default!;
    private HttpClient _adapterClient = default!;
    private HttpClient _auditor = default!;

    [OneTimeSetUp]
    public async Task StartHubs()
    {
        _vhost = await RabbitMqTestVhost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        var aggregatorOnly = HubFactory.ServerMode(_vhost.HubAmqpUri, _database.ConnectionString);
        aggregatorOnly["Hub:CourtAdapter:Enabled"] = "false";
        _aggregator = new HubFactory(aggregatorOnly);
        _auditor = await _aggregator.ClientAsAsync("auditor:test");
        await Eventually.Get(async () => (await _auditor.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "the aggregator ready");

        var adapterOnly = HubFactory.ServerMode(_vhost.HubAmqpUri, "Host=no-database.invalid;Database=none;Username=nobody;Password=none");
        adapterOnly["Hub:Aggregator:Enabled"] = "false";
        _adapter = new HubFactory(adapterOnly);
        _adapterClient = _adapter.CreateClient();
        await Eventually.Get(async () => (await _adapterClient.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "the adapter ready");
    }

    [OneTimeTearDown]
    public async Task StopHubs()
    {
        _adapterClient?.Dispose();
        _auditor?.Dispose();
        if (_adapter is not null) await _adapter.DisposeAsync();
        if (_aggregator is not null) await _aggregator.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    [Test]
    public async Task The_court_adapter_alone_starts_without_an_index_database_and_serves_only_its_routes()
    {
        Assert.That(_adapter.Services.GetService<IndexDatabase>(), Is.Null, "no index database in the adapter's process");
        var ready = JsonDocument.Parse(await _adapterClient.GetStringAsync("/health/ready")).RootElement;
        Assert.That(ready.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()), Is.EqualTo(new[] { "masstransit-bus" }));

        var paths = JsonNode.Parse(await _adapterClient.GetStringAsync("/openapi/v1.json"))!["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.That(paths, Is.EquivalentTo(new[]
        {
            "/api/whoami", "/api/adapters/court/{agency}/notices", "/api/adapters/court/{agency}/notices/bulk", "/api/adapters/court/{agency}/removals",
            "/api/adapters/court/{agency}/disputes", "/api/adapters/court/{agency}/dispute-decisions",
        }));
        using var subjects = await _adapterClient.GetAsync($"/api/subjects?uscc={CompanyUscc}");
        Assert.That(subjects.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task The_aggregator_alone_serves_no_adapter_routes()
    {
        using var court = await _aggregator.ClientAsAsync(Court);
        using var post = await court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", Company("SPLIT-1"));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task The_adapter_alone_takes_no_API_key_and_its_refusal_reaches_the_aggregator_s_audit_log()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/adapters/court/{Court}/notices") { Content = JsonContent.Create(Company("SPLIT-2")) };
        request.Headers.Add(HubAuthenticationHandler.ApiKeyHeader, "hub_some-key");
        using var post = await _adapterClient.SendAsync(request);
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString(),
            Does.Contain("has no key store: authenticate with a client certificate"));

        var entry = await Eventually.Get(async () =>
        {
            var rows = await _auditor.GetFromJsonAsync<JsonElement>("/api/audit?limit=1000");
            return rows.EnumerateArray().Where(r => r.GetProperty("outcome").GetString() == "refused-unauthenticated"
                                                     && r.GetProperty("action").GetString() == "POST /api/adapters/court/{agency}/notices")
                .Select(r => new Box(r)).FirstOrDefault();
        }, "the adapter's refusal in the aggregator's audit log");
        Assert.That(entry.Value.GetProperty("channel").GetString(), Is.EqualTo("http"));
        var verified = await _auditor.GetFromJsonAsync<JsonElement>("/api/audit/verify");
        Assert.That(verified.GetProperty("intact").GetBoolean(), Is.True);
    }

    private sealed record Box(JsonElement Value);
}
