using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Npgsql;

namespace Hub.Testing;

/// <summary>
/// Where the real servers are. The test command (test.sh) starts them; a missing server fails the tests that
/// need it with a message saying so — it is never skipped.
/// </summary>
public static class TestServers
{
    /// <summary>The local server over loopback without TLS, as the broker is reached (amqp://, not amqps://): Debian's
    /// cluster offers TLS and Npgsql would take it, spending a tenth of the aggregator's CPU on encrypting loopback
    /// traffic (docs/BENCHMARKS.md). Across machines, use <c>SSL Mode=VerifyFull</c> (deploy/README.md).</summary>
    public static string PostgresAdmin =>
        Environment.GetEnvironmentVariable("HUB_TEST_POSTGRES") ?? "Host=127.0.0.1;Port=5432;Username=hub;Password=hub;Database=postgres;SSL Mode=Disable";

    /// <summary>amqp://user:password@host:port (no vhost).</summary>
    public static Uri RabbitMq => new(Environment.GetEnvironmentVariable("HUB_TEST_RABBITMQ") ?? "amqp://guest:guest@127.0.0.1:5672");

    public static Uri RabbitMqManagement => new(Environment.GetEnvironmentVariable("HUB_TEST_RABBITMQ_MANAGEMENT") ?? "http://127.0.0.1:15672");
}

/// <summary>A fresh PostgreSQL database for one fixture, dropped afterwards.</summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    private PostgresTestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var name = "hub_test_" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            await using var admin = new NpgsqlConnection(TestServers.PostgresAdmin);
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable at '{Redacted(TestServers.PostgresAdmin)}': run ./test.sh (it starts the servers) or set HUB_TEST_POSTGRES. {ex.Message}", ex);
        }
        var cs = new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin) { Database = name }.ConnectionString;
        return new PostgresTestDatabase(name, cs);
    }

    /// <remarks>
    /// <c>WITH (FORCE)</c> ends our own leftover sessions, but a non-superuser may not end an autovacuum worker, which
    /// visits a database once it has a few thousand rows (the benchmark's): PostgreSQL then refuses with 42501. A
    /// plain <c>DROP DATABASE</c> stops autovacuum workers itself, so that is the second try.
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestServers.PostgresAdmin);
        await admin.OpenAsync();
        for (var attempt = 1; ; attempt++)
        {
            var sql = attempt == 1 ? $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)" : $"DROP DATABASE IF EXISTS {Name}";
            try
            {
                await using var cmd = new NpgsqlCommand(sql, admin);
                await cmd.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException ex) when (attempt < 5 && ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt));
            }
        }
    }

    private static string Redacted(string cs) => new NpgsqlConnectionStringBuilder(cs) { Password = null }.ConnectionString;
}

/// <summary>A RabbitMQ virtual host of its own for one test run, made and removed through the management API.</summary>
public sealed class RabbitMqTestVhost : IAsyncDisposable
{
    private readonly HttpClient _management;

    private RabbitMqTestVhost(string name, HttpClient management)
    {
        Name = name;
        _management = management;
    }

    public string Name { get; }

    /// <summary>amqp URI including this vhost.</summary>
    public Uri AmqpUri => new UriBuilder(TestServers.RabbitMq) { Path = "/" + Uri.EscapeDataString(Name) }.Uri;

    public HttpClient Management => _management;

    public static async Task<RabbitMqTestVhost> CreateAsync()
    {
        var amqp = TestServers.RabbitMq;
        var user = Uri.UnescapeDataString(amqp.UserInfo.Split(':')[0]);
        var password = Uri.UnescapeDataString(amqp.UserInfo.Split(':', 2)[1]);
        var http = new HttpClient { BaseAddress = TestServers.RabbitMqManagement, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        var name = "hub-test-" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            (await http.PutAsync($"api/vhosts/{name}", null)).EnsureSuccessStatusCode();
            (await http.PutAsJsonAsync($"api/permissions/{name}/{Uri.EscapeDataString(user)}",
                new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        }
        catch (HttpRequestException ex)
        {
            http.Dispose();
            throw new InvalidOperationException(
                $"RabbitMQ management is not reachable at {TestServers.RabbitMqManagement}: run ./test.sh (it starts the servers) or set HUB_TEST_RABBITMQ_MANAGEMENT. {ex.Message}", ex);
        }
        return new RabbitMqTestVhost(name, http);
    }

    /// <summary>Message count of a queue in this vhost, or null when the queue does not exist.</summary>
    public async Task<long?> QueueDepthAsync(string queue)
    {
        using var response = await _management.GetAsync($"api/queues/{Name}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        var doc = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return doc.TryGetProperty("messages", out var m) ? m.GetInt64() : 0;
    }

    public async ValueTask DisposeAsync()
    {
        try { await _management.DeleteAsync($"api/vhosts/{Name}"); }
        finally { _management.Dispose(); }
    }
}
