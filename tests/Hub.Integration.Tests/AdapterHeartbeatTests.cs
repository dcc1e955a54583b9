using System.Net.Http.Json;
using System.Text.Json;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Hub.Integration.Tests;

/// <summary>
/// The court adapter running alone has no index to write its heartbeat row in: it sends its beat over the real broker,
/// the aggregator (another process, on PostgreSQL) records it, the console shows the adapter alive — and silent, in red,
/// once it stopped: over HTTP, and on the page in headless Chromium.
/// </summary>
[NonParallelizable]
public sealed class AdapterHeartbeatTests
{
    private RabbitMqTestVhost _vhost = default!;
    private PostgresTestDatabase _database = default!;
    private HubFactory _aggregator = default!;
    private HubFactory? _adapter;
    private HttpClient _operator = default!;
    private Uri _base = default!;
    private IPlaywright _playwright = default!;
    private IBrowser _browser = default!;

    [OneTimeSetUp]
    public async Task StartHubs()
    {
        _vhost = await RabbitMqTestVhost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        var aggregatorOnly = HubFactory.ServerMode(_vhost.HubAmqpUri, _database.ConnectionString);
        aggregatorOnly["Hub:CourtAdapter:Enabled"] = "false";
        aggregatorOnly["Hub:Console:SilentAfter"] = "00:00:03";
        aggregatorOnly["Hub:Console:HeartbeatInterval"] = "00:00:01";
        aggregatorOnly["Urls"] = "http://127.0.0.1:0";
        _aggregator = new HubFactory(aggregatorOnly);
        _aggregator.UseKestrel(0);
        _aggregator.StartServer();
        var address = _aggregator.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _base = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        _operator = await _aggregator.ClientAsAsync("operator:heartbeats");
        _operator.BaseAddress = _base;
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
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
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
        var instance = alive.Value.GetProperty("instanceId").GetString()!;
        Assert.That(later.Value.GetProperty("instanceId").GetString(), Is.EqualTo(instance), "one row per process");

        // the page, as an operator on a phone sees it
        if (!File.Exists(ConsoleBrowserTests.Chromium))
            throw new InvalidOperationException($"no Chromium at {ConsoleBrowserTests.Chromium}: ./test.sh installs Debian's chromium package (as root), or set HUB_TEST_CHROMIUM");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ConsoleBrowserTests.Chromium, Headless = true, Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
        var maker = _aggregator.Services.GetRequiredService<Hub.Domain.Access.AccessPolicy>().Resolve("operator:tests");
        var (_, key) = await _aggregator.Services.GetRequiredService<ApiKeyService>().CreateAsync("operator:page", "browser test", maker, CancellationToken.None);
        await using var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(_base, "/console").ToString());
        await page.Locator("#api-key").FillAsync(key);
        await page.Locator("#sign-in button[type=submit]").ClickAsync();
        var row = page.Locator($"#services tr[data-instance='{instance}']");
        await Assertions.Expect(row).ToContainTextAsync("court-adapter");
        await Assertions.Expect(row).Not.ToHaveClassAsync("silent");

        await _adapter.DisposeAsync();
        _adapter = null;
        var silent = await Eventually.Get(async () => await AdapterRow() is { } row && row.GetProperty("silent").GetBoolean() ? new Box(row) : null,
            "the stopped adapter silent");
        Assert.That(silent.Value.GetProperty("silentForSeconds").GetDouble(), Is.GreaterThan(3));
        await Assertions.Expect(row).ToHaveClassAsync("silent", new LocatorAssertionsToHaveClassOptions { Timeout = 15_000 });
        await Assertions.Expect(row).ToContainTextAsync("silent");
    }

    private sealed record Box(JsonElement Value);
}
