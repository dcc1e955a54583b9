using System.Net.Http.Json;
using System.Text.Json;
using Hub.Domain.Access;
using Hub.Host.Security;
using Hub.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The console in headless Chromium against a Hub on the real RabbitMQ and PostgreSQL: the queue figures on the page are
/// the management API's; a poison message shows in its group (beside a malformed message's), and clicking "Replay group" once the cause is gone applies
/// it and empties the group.
/// </summary>
[NonParallelizable]
public sealed class ConsoleBrowserServerModeTests
{
    private RabbitMqTestVhost _vhost = default!;
    private PostgresTestDatabase _database = default!;
    private HubFactory _hub = default!;
    private HttpClient _operator = default!;
    private Uri _base = default!;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _vhost = await RabbitMqTestVhost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        var settings = HubFactory.WithManagementApi(HubFactory.ServerMode(_vhost.HubAmqpUri, _database.ConnectionString));
        settings["Urls"] = "http://127.0.0.1:0";
        _hub = new HubFactory(settings);
        _hub.UseKestrel(0);
        _hub.StartServer();
        var address = _hub.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _base = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        _operator = await _hub.ClientAsAsync("operator:browser");
        _operator.BaseAddress = _base;
        await Eventually.Get(async () => (await _operator.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        _operator?.Dispose();
        if (_hub is not null) await _hub.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    [Test]
    public async Task The_page_shows_the_brokers_figures_and_a_poison_messages_group_replayed_from_it_is_applied_and_gone()
    {
        // the management API samples every few seconds: wait until it has seen the aggregator's consumer
        var reported = await Eventually.Value(async () => await _vhost.Management.GetFromJsonAsync<JsonElement>($"api/queues/{_vhost.Name}/hub.aggregator")
            is { ValueKind: JsonValueKind.Object } q && q.TryGetProperty("consumers", out var c) && c.GetInt32() > 0 ? q : (JsonElement?)null,
            "the management API seeing the aggregator's consumer");

        if (!File.Exists(ConsoleBrowserTests.Chromium))
            throw new InvalidOperationException($"no Chromium at {ConsoleBrowserTests.Chromium}: ./test.sh installs Debian's chromium package (as root), or set HUB_TEST_CHROMIUM");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ConsoleBrowserTests.Chromium, Headless = true, Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
        var maker = _hub.Services.GetRequiredService<AccessPolicy>().Resolve("operator:tests");
        var (_, key) = await _hub.Services.GetRequiredService<ApiKeyService>().CreateAsync("operator:page", "browser test", maker, CancellationToken.None);
        await using var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(new Uri(_base, "/console").ToString());
        await page.Locator("#api-key").FillAsync(key);
        await page.Locator("#sign-in button[type=submit]").ClickAsync();
        var wait = new LocatorAssertionsToHaveTextOptions { Timeout = 20_000 };

        // the queue figures, as the management API reports them
        await Assertions.Expect(page.Locator("#queues-source")).ToHaveTextAsync("From the RabbitMQ management API.", wait);
        var aggregator = page.Locator("#queues tr[data-queue='hub.aggregator']");
        await Assertions.Expect(aggregator.Locator("td[data-field='consumers']")).ToHaveTextAsync(reported.GetProperty("consumers").GetInt32().ToString(), wait);
        await Assertions.Expect(aggregator.Locator("td[data-field='ready']")).ToHaveTextAsync(reported.GetProperty("messages_ready").GetInt64().ToString(), wait);

        // a message no one can read makes MassTransit declare the error queue (and shows in a group of its own); then a
        // court's listing that failed on a deadlock (transient, gone now) lands there and shows in its group
        await ConsoleServerModeTests.PublishAsync(_vhost.AmqpUri, "hub.judgment-defaulter-listed", "{ this is not json", userId: null);
        await Eventually.Get(async () => await _vhost.QueueDepthAsync("hub.aggregator_error") is > 0 ? "there" : null, "the malformed message in the error queue");
        var uscc = TestIdentifiers.Uscc(9301);
        await ConsoleServerModeTests.PublishAsync(_vhost.HubAmqpUri, "hub.aggregator_error", ConsoleServerModeTests.FailedListing("BRW-1", uscc),
            BrokerUsers.UserOf(Court), ConsoleServerModeTests.Fault("Npgsql.PostgresException", "40P01: deadlock detected on relation 16384 by process 4711"));
        var group = page.Locator("#failed-groups tr[data-group]", new PageLocatorOptions { HasText = "deadlock detected" });
        await Assertions.Expect(group).ToHaveCountAsync(1, new LocatorAssertionsToHaveCountOptions { Timeout = 20_000 });
        await Assertions.Expect(group.Locator("td").First).ToHaveTextAsync("1");
        Assert.That((await _operator.GetAsync($"/api/subjects?uscc={uscc}")).IsSuccessStatusCode, Is.False, "not applied before the replay");

        await group.Locator("button[data-action='replay-group']").ClickAsync();
        await Eventually.Get(async () => (await _operator.GetAsync($"/api/subjects?uscc={uscc}")).IsSuccessStatusCode ? "applied" : null,
            "the replayed listing applied");
        await Assertions.Expect(group).ToHaveCountAsync(0, new LocatorAssertionsToHaveCountOptions { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("#failed-groups tr[data-group]")).ToHaveCountAsync(1); // the malformed message's group stays
        Assert.That(errors, Is.Empty, string.Join("\n", errors));
    }
}
