using Microsoft.AspNetCore.Hosting;
using Hub.Host.Security;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hub.Integration.Tests;

/// <summary>The whole Hub host in-process, configured only through settings — exactly as an operator would; with
/// <paramref name="log"/>, the host also logs to it (a test that reads the log).</summary>
public sealed class HubFactory(IReadOnlyDictionary<string, string?> settings, ILoggerProvider? log = null) : WebApplicationFactory<Program>
{
    /// <summary>Where the first start writes its API keys (never into the source tree).</summary>
    public string BootstrapFile { get; } = Path.Combine(Path.GetTempPath(), $"hub-keys-{Guid.NewGuid():N}", "initial-api-keys.txt");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Hub:Auth:ApiKeys:BootstrapFile", BootstrapFile);
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        if (log is not null) builder.ConfigureServices(s => s.AddSingleton(log));
    }

    /// <summary>A client calling as <paramref name="principal"/> (an agency code or role:name) with an API key made for it.</summary>
    public async Task<HttpClient> ClientAsAsync(string principal)
    {
        var client = CreateClient();
        var maker = Services.GetRequiredService<Hub.Domain.Access.AccessPolicy>().Resolve("operator:tests");
        var (_, key) = await Services.GetRequiredService<ApiKeyService>().CreateAsync(principal, "test", maker, CancellationToken.None);
        client.DefaultRequestHeaders.Add(HubAuthenticationHandler.ApiKeyHeader, key);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(Path.GetDirectoryName(BootstrapFile))) Directory.Delete(Path.GetDirectoryName(BootstrapFile)!, recursive: true);
    }

    public static Dictionary<string, string?> Embedded(string sqliteFile) => new()
    {
        ["Hub:Bus:Transport"] = "InMemory",
        ["Hub:Storage:Provider"] = "Sqlite",
        ["ConnectionStrings:Index"] = $"Data Source={sqliteFile}",
    };

    public static Dictionary<string, string?> ServerMode(Uri rabbitMq, string postgres) => new()
    {
        ["Hub:Bus:Transport"] = "RabbitMq",
        ["ConnectionStrings:RabbitMq"] = rabbitMq.ToString(),
        ["Hub:Storage:Provider"] = "Postgres",
        ["ConnectionStrings:Index"] = postgres,
        ["Hub:Publishing:MaxRetryAttempts"] = "3",
    };

    /// <summary><paramref name="settings"/> with the console reading the test broker's management API as its administrator.</summary>
    public static Dictionary<string, string?> WithManagementApi(Dictionary<string, string?> settings)
    {
        var admin = Hub.Testing.TestServers.RabbitMq.UserInfo.Split(':', 2);
        settings["Hub:Console:ManagementUrl"] = Hub.Testing.TestServers.RabbitMqManagement.ToString();
        settings["Hub:Console:ManagementUser"] = Uri.UnescapeDataString(admin[0]);
        settings["Hub:Console:ManagementPassword"] = Uri.UnescapeDataString(admin[1]);
        return settings;
    }
}

internal static class Eventually
{
    /// <summary>Polls until <paramref name="probe"/> returns a value, or fails the test naming what it waited for.</summary>
    public static async Task<T> Get<T>(Func<Task<T?>> probe, string waitingFor, int seconds = 30) where T : class
    {
        var until = Environment.TickCount64 + seconds * 1000L;
        while (true)
        {
            var value = await probe();
            if (value is not null) return value;
            if (Environment.TickCount64 > until) throw new AssertionException($"timed out after {seconds} s waiting for {waitingFor}");
            await Task.Delay(100);
        }
    }

    /// <summary><see cref="Get{T}"/> for a value type (a JSON element).</summary>
    public static async Task<T> Value<T>(Func<Task<T?>> probe, string waitingFor, int seconds = 30) where T : struct
    {
        var until = Environment.TickCount64 + seconds * 1000L;
        while (true)
        {
            if (await probe() is { } value) return value;
            if (Environment.TickCount64 > until) throw new AssertionException($"timed out after {seconds} s waiting for {waitingFor}");
            await Task.Delay(100);
        }
    }
}
