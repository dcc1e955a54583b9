using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Host.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Hub.Testing;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// The console in a real browser: Debian's headless Chromium (<c>/usr/bin/chromium</c>, or <c>HUB_TEST_CHROMIUM</c>) driven by
/// Playwright for .NET — no browser download — on a phone-sized screen, against the Hub on Kestrel (embedded default). An
/// operator opens /console, types the API key once, sees the queues and the quarantine grouped, and releases a removal
/// that waited in vain for its listing once the listing came; the index then shows the listing removed. Screenshots go
/// to the test's output folder, and to docs/ with HUB_UPDATE_SCREENSHOTS=1.
/// </summary>
[NonParallelizable]
public sealed class ConsoleBrowserTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-browser-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _court = default!;
    private Uri _base = default!;
    private IPlaywright _playwright = default!;
    private IBrowser _browser = default!;

    public static string Chromium => Environment.GetEnvironmentVariable("HUB_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    [OneTimeSetUp]
    public async Task Start()
    {
        var settings = ConsoleTests.ShortHeldRemovals(HubFactory.Embedded(_file));
        settings["Urls"] = "http://127.0.0.1:0";
        settings["Hub:Console:Quality:ConcentrationMinRecords"] = "3";
        settings["Hub:Console:Quality:RhythmCacheFor"] = "00:00:00";   // rhythms written by the tests are read at once
        _hub = new HubFactory(settings);
        _hub.UseKestrel(0);
        _hub.StartServer();
        var address = _hub.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _base = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        _court = await _hub.ClientAsAsync(Court);
        _court.BaseAddress = _base;
        await Eventually.Get(async () => (await _court.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");

        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"no Chromium at {Chromium}: ./test.sh installs Debian's chromium package (as root), or set HUB_TEST_CHROMIUM");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        _court?.Dispose();
        if (_hub is not null) await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    private async Task Submit(string what, params JsonNode[] notices)
    {
        using var response = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/{what}", new JsonArray(notices));
        Assert.That(response.IsSuccessStatusCode, Is.True, await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement?> Subject(string uscc)
    {
        using var r = await _court.GetAsync($"/api/subjects?uscc={uscc}");
        return r.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone() : null;
    }

    private static async Task Screenshot(IPage page, string name)
    {
        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots", name);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        if (Environment.GetEnvironmentVariable("HUB_UPDATE_SCREENSHOTS") != "1") return;
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Hub.sln"))) root = Path.GetDirectoryName(root)!;
        File.Copy(file, Path.Combine(root, "docs", name), overwrite: true);
    }

    [Test]
    public async Task An_operator_opens_the_console_with_a_key_sees_queues_and_quarantine_and_releases_a_record()
    {
        var uscc = TestIdentifiers.Uscc(9301);
        await Submit("removals", Removal("BRW-REM-1", "BRW-LIST-1"));
        await Submit("notices", Company("BRW-BAD-1", uscc: TestIdentifiers.Uscc(9302)[..17] + (TestIdentifiers.Uscc(9302)[17] == '0' ? '1' : '0')));
        // the removal waited in vain (a second) and is quarantined; then the listing comes
        await Eventually.Get(async () =>
        {
            using var r = await _court.GetAsync("/health/ready");
            var db = _hub.Services.GetRequiredService<Hub.Storage.IndexDatabase>();
            return (await db.QuarantineGroupsAsync(CancellationToken.None)).Any(g => g.ReasonCode == "no-such-listing") ? "quarantined" : null;
        }, "the removal quarantined");
        await Submit("notices", Company("BRW-LIST-1", uscc: uscc));
        await Eventually.Get(async () => await Subject(uscc) is { } ? "listed" : null, "the listing applied");

        // a court adapter instance that stopped beating two minutes ago
        var lastSeen = _hub.Services.GetRequiredService<TimeProvider>().GetUtcNow().AddMinutes(-2);
        await _hub.Services.GetRequiredService<Hub.Storage.IndexDatabase>().BeatAsync(new Hub.Storage.HubInstanceRow
        {
            InstanceId = "adapter-host/4242/stopped", Services = "court-adapter", Host = "adapter-host", Version = "1.0.0", ProcessId = 4242,
            StartedAt = lastSeen.AddHours(-1), LastSeenAt = lastSeen,
        }, CancellationToken.None);

        var maker = _hub.Services.GetRequiredService<Hub.Domain.Access.AccessPolicy>().Resolve("operator:tests");
        var (_, key) = await _hub.Services.GetRequiredService<ApiKeyService>().CreateAsync("operator:browser", "browser test", maker, CancellationToken.None);

        await using var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 }, DeviceScaleFactor = 1, IsMobile = true, HasTouch = true, Locale = "zh-CN",
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        // the browser reports the refused wrong key (401) as a console error itself: that one is expected
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.Contains("status of 401", StringComparison.Ordinal)) errors.Add(m.Text); };

        await page.GotoAsync(new Uri(_base, "/console").ToString());
        await Assertions.Expect(page.Locator("#sign-in")).ToBeVisibleAsync();
        await page.Locator("#api-key").FillAsync("not-a-key");
        await page.Locator("#sign-in button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#sign-in-problem")).ToContainTextAsync("not valid");

        await page.Locator("#api-key").FillAsync(key);
        await page.Locator("#sign-in button[type=submit]").ClickAsync();
        var aggregator = page.Locator("#queues tr[data-queue='hub.aggregator']");
        await Assertions.Expect(aggregator).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#queues-source")).ToContainTextAsync("Hub's own counters");
        await Assertions.Expect(page.Locator("#failed-summary")).ToContainTextAsync("in-memory");
        await Assertions.Expect(page.Locator("#services tbody tr:not(.silent)").First).ToContainTextAsync("aggregator");
        await Assertions.Expect(page.Locator("#services tr.silent[data-instance='adapter-host/4242/stopped']")).ToContainTextAsync("silent");
        Assert.That(await page.EvaluateAsync<string>("() => sessionStorage.getItem('hub-api-key')"), Is.EqualTo(key), "kept for this tab");
        var group = page.Locator("#quarantine-groups tr[data-reason='no-such-listing'][data-agency='COURT-34-1122']");
        await Assertions.Expect(group).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#quarantine-groups tr[data-reason='invalid-identifier']")).ToBeVisibleAsync();
        await Screenshot(page, "console-overview.png");

        // the page refreshes on its own: a record quarantined now shows without a reload
        await Submit("notices", Company("BRW-BAD-2", uscc: "9134112215678901XD"));
        await Assertions.Expect(page.Locator("#quarantine-groups tr[data-reason='invalid-identifier'] td.n")).ToHaveTextAsync("2",
            new LocatorAssertionsToHaveTextOptions { Timeout = 15_000 });

        await group.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Show" }).ClickAsync();
        var entry = page.Locator("#quarantine-groups tr[data-quarantine]", new PageLocatorOptions { HasText = "BRW-REM-1" });
        await Assertions.Expect(entry).ToBeVisibleAsync();
        await Screenshot(page, "console-quarantine.png");
        await entry.Locator("button[data-action='release']").ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("applied");
        await Assertions.Expect(page.Locator("#quarantine-groups tr[data-reason='no-such-listing']")).ToHaveCountAsync(0);

        var subject = await Eventually.Get(async () => await Subject(uscc) is { } s &&
            s.GetProperty("listings").EnumerateArray().All(l => l.GetProperty("status").GetString() == "removed") ? new Box(s) : null, "the listing removed");
        Assert.That(subject.Value.GetProperty("listings").GetArrayLength(), Is.GreaterThan(0));

        // the page fits a phone: nothing wider than the screen except inside the scrolling tables
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.That(overflow, Is.LessThanOrEqualTo(0), "no sideways scrolling of the page on a 390 px screen");
        Assert.That(errors, Is.Empty, "no script errors");
    }

    [Test]
    public async Task An_operator_sees_the_data_quality_flags_and_a_silent_agency_in_red_on_a_phone()
    {
        // a court of province 35, where the registry knows two more agencies, sends all of the province's records
        using var fujian = await _hub.ClientAsAsync("COURT-35-0102");
        fujian.BaseAddress = _base;
        var notices = new JsonArray(Enumerable.Range(1, 3).Select(i => (JsonNode)Company($"BRW-FJ-{i}", uscc: TestIdentifiers.Uscc(9500 + i))).ToArray());
        using (var posted = await fujian.PostAsJsonAsync("/api/adapters/court/COURT-35-0102/notices", notices))
            Assert.That(posted.IsSuccessStatusCode, Is.True, await posted.Content.ReadAsStringAsync());
        await Eventually.Get(async () => await Subject(TestIdentifiers.Uscc(9503)) is { } ? "listed" : null, "the Fujian notices applied");

        // a bureau that sent a file every hour until seven hours ago, as the aggregator recorded it then (province 32 has no other agency)
        var db = _hub.Services.GetRequiredService<Hub.Storage.IndexDatabase>();
        var now = _hub.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var write = new Hub.Storage.IndexWrite(now);
        write.Intake.AddRange(Enumerable.Range(7, 4).Select(h => new Hub.Storage.IntakeRow
        {
            At = now.AddHours(-h), AgencyCode = "LABOUR-32", Province = "32", Kind = "AdministrativePenaltyRecorded", Outcome = "applied", Listings = 1,
        }));
        await using (var session = await db.BeginAsync(CancellationToken.None))
        {
            await session.WriteAsync(write, CancellationToken.None);
            await session.CommitAsync(CancellationToken.None);
        }

        var maker = _hub.Services.GetRequiredService<Hub.Domain.Access.AccessPolicy>().Resolve("operator:tests");
        var (_, key) = await _hub.Services.GetRequiredService<ApiKeyService>().CreateAsync("operator:quality", "browser test", maker, CancellationToken.None);
        await using var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 }, DeviceScaleFactor = 1, IsMobile = true, HasTouch = true, Locale = "zh-CN",
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        await page.GotoAsync(new Uri(_base, "/console").ToString());
        await page.Locator("#api-key").FillAsync(key);
        await page.Locator("#sign-in button[type=submit]").ClickAsync();

        var fujianRow = page.Locator("#quality tr[data-agency='COURT-35-0102']");
        await Assertions.Expect(fujianRow.Locator("[data-flag='concentration']")).ToBeVisibleAsync();
        await Assertions.Expect(fujianRow.Locator("td[data-field='received']")).ToContainTextAsync("3");
        await Assertions.Expect(page.Locator("#quality tr[data-agency='COURT-34-1122'] [data-flag]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#critical tr[data-agency='COURT-35-0102']")).ToBeVisibleAsync();
        var food = page.Locator("#agencies tr.silent[data-agency='LABOUR-32']");
        await Assertions.Expect(food).ToContainTextAsync("silent 7 h");
        Assert.That(await food.Locator("td").First.EvaluateAsync<string>("e => getComputedStyle(e).color"), Is.EqualTo("rgb(179, 38, 30)"), "red");
        await Assertions.Expect(page.Locator("#agencies tr[data-agency='COURT-35-0102']:not(.silent)")).ToBeVisibleAsync();

        // another period: the month holds the same records
        await page.Locator("#period-kind").SelectOptionAsync("month");
        await Assertions.Expect(page.Locator("#quality-summary")).ToContainTextAsync("-01 to ");
        await Assertions.Expect(fujianRow.Locator("[data-flag='concentration']")).ToBeVisibleAsync();
        await page.Locator("#quality-section").ScrollIntoViewIfNeededAsync();
        await Screenshot(page, "console-quality.png");

        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.That(overflow, Is.LessThanOrEqualTo(0), "no sideways scrolling of the page on a 390 px screen");
        Assert.That(errors, Is.Empty, "no script errors");
    }

    private sealed record Box(JsonElement Value);
}
