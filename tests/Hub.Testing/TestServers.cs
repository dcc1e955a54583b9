using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Hub.Domain.Access;
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

    /// <summary>The same broker's TLS listener, amqps://host:port (no user, no vhost); deploy/local/start-services.sh
    /// opens it on 127.0.0.1:5671.</summary>
    public static Uri RabbitMqTls => new(Environment.GetEnvironmentVariable("HUB_TEST_RABBITMQ_TLS") ?? "amqps://127.0.0.1:5671");

    /// <summary>The PEM file of the test CA that signed the broker's TLS certificate (made by start-services.sh).</summary>
    public static string RabbitMqCaFile
    {
        get
        {
            var file = Environment.GetEnvironmentVariable("HUB_TEST_RABBITMQ_CA") ?? "/var/lib/hub-test-pki/ca.pem";
            return File.Exists(file)
                ? file
                : throw new InvalidOperationException(
                    $"the test CA of RabbitMQ's TLS listener is not at {file}: run ./test.sh as root (it makes it and configures the listener) or set HUB_TEST_RABBITMQ_CA");
        }
    }
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

    /// <summary>The Hub's own broker user for this run (<c>{vhost}-hub</c>): tagged <c>impersonator</c> like
    /// <c>hub-adapter</c>, so its court adapter may publish with the courts' users as <c>user_id</c>, with the Hub's
    /// permissions from deploy/rabbitmq/definitions.json on this vhost only. Deleted with the vhost.</summary>
    public string HubUser => Name + "-hub";

    private string HubPassword { get; } = Guid.NewGuid().ToString("N");

    /// <summary>amqp URI into this vhost as <see cref="HubUser"/>: what the Hub under test connects with.</summary>
    public Uri HubAmqpUri => AmqpUriAs(HubUser, HubPassword);

    /// <summary>amqps URI (the broker's TLS listener) into this vhost as <see cref="HubUser"/>.</summary>
    public Uri HubAmqpsUri => AmqpUriAs(HubUser, HubPassword, TestServers.RabbitMqTls);

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
        var vhost = new RabbitMqTestVhost(name, http);
        await vhost.CreateUserAsync(vhost.HubUser, vhost.HubPassword, BrokerUsers.ImpersonatorTag,
            BrokerUsers.HubEntities, BrokerUsers.HubEntities, BrokerUsers.HubEntities);
        return vhost;
    }

    /// <summary>
    /// Creates (or updates: users are global to the broker, and PUT is idempotent) the broker user <paramref name="user"/>
    /// with <paramref name="tags"/>, gives it the permissions on this vhost, and returns its amqp URI into this vhost.
    /// Agency users keep their real names (<c>court-34-1122</c>), so every test run sets the same password and tags on
    /// them; their permissions go with the vhost.
    /// </summary>
    public async Task<Uri> CreateUserAsync(string user, string password, string tags, string configure, string write, string read)
    {
        var escaped = Uri.EscapeDataString(user);
        (await _management.PutAsJsonAsync($"api/users/{escaped}", new { password, tags })).EnsureSuccessStatusCode();
        (await _management.PutAsJsonAsync($"api/permissions/{Name}/{escaped}", new { configure, write, read })).EnsureSuccessStatusCode();
        return AmqpUriAs(user, password);
    }

    /// <summary>Password of every agency user the tests create: users are global, so concurrent runs must agree on it.</summary>
    public const string AgencyPassword = "hub-test-agency";

    /// <summary>The broker user of the registered agency <paramref name="agencyCode"/> with the permissions the generated
    /// definitions give it (write its own inbound exchanges only, read its own subscriber queue only, configure nothing), on this vhost; its amqp URI.</summary>
    public Task<Uri> CreateAgencyUserAsync(string agencyCode)
    {
        var agency = Hub.Domain.Catalogue.AgencyRegistry.Embedded().Find(agencyCode)
                     ?? throw new ArgumentException($"{agencyCode} is no registered agency", nameof(agencyCode));
        var users = new BrokerUsers(Hub.Domain.Catalogue.AgencyRegistry.Embedded(), Hub.Domain.Catalogue.LegalBasisCatalogue.Embedded());
        return CreateUserAsync(BrokerUsers.UserOf(agency), AgencyPassword, "", BrokerUsers.Nothing, users.WritePattern(agency.Kind), BrokerUsers.SubscriberQueuePattern(agency.Code));
    }

    /// <summary>amqp URI into this vhost as <paramref name="user"/>.</summary>
    public Uri AmqpUriAs(string user, string password, Uri? broker = null) =>
        new UriBuilder(broker ?? TestServers.RabbitMq)
        {
            UserName = Uri.EscapeDataString(user), Password = Uri.EscapeDataString(password), Path = "/" + Uri.EscapeDataString(Name),
        }.Uri;

    /// <summary>Deletes a user made for this run only (not an agency's: another fixture may be using it).</summary>
    public async Task DeleteUserAsync(string user) => await _management.DeleteAsync($"api/users/{Uri.EscapeDataString(user)}");

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
        try
        {
            await _management.DeleteAsync($"api/vhosts/{Name}");
            await DeleteUserAsync(HubUser);
        }
        finally { _management.Dispose(); }
    }
}
