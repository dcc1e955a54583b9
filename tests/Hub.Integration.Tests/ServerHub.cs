using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Testing;

namespace Hub.Integration.Tests;

/// <summary>
/// A Hub in server mode on a vhost and a database of its own, ready: HTTP clients as any principal, and agencies on
/// the broker as their own broker users (the permissions the generated definitions give them). What a fixture that
/// talks to the real RabbitMQ and PostgreSQL starts from; everything it made goes on dispose.
/// </summary>
internal sealed class ServerHub : IAsyncDisposable
{
    public const string Envelope = "application/vnd.masstransit+json";

    private readonly List<IDisposable> _clients = [];
    private readonly List<RawBroker> _brokers = [];

    private ServerHub(RabbitMqTestVhost vhost, PostgresTestDatabase database, HubFactory hub) => (Vhost, Database, Hub) = (vhost, database, hub);

    public RabbitMqTestVhost Vhost { get; }
    public PostgresTestDatabase Database { get; }
    public HubFactory Hub { get; }

    /// <param name="configure">changes to the server-mode settings before the Hub starts (e.g.
    /// <see cref="HubFactory.WithManagementApi"/>)</param>
    public static async Task<ServerHub> StartAsync(Action<Dictionary<string, string?>>? configure = null)
    {
        var vhost = await RabbitMqTestVhost.CreateAsync();
        var database = await PostgresTestDatabase.CreateAsync();
        var settings = HubFactory.ServerMode(vhost.HubAmqpUri, database.ConnectionString);
        configure?.Invoke(settings);
        var server = new ServerHub(vhost, database, new HubFactory(settings));
        var probe = await server.ClientAsync("operator:test");
        await Eventually.Get(async () => (await probe.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
        return server;
    }

    /// <summary>An HTTP client authenticated as <paramref name="principal"/> (an agency code or role:name).</summary>
    public async Task<HttpClient> ClientAsync(string principal)
    {
        var client = await Hub.ClientAsAsync(principal);
        _clients.Add(client);
        return client;
    }

    /// <summary>The agency on the broker as its own user: it may publish its records and read its subscriber queue.</summary>
    public async Task<RawBroker> AgencyAsync(string agencyCode)
    {
        var broker = await RawBroker.ConnectAsync(await Vhost.CreateAgencyUserAsync(agencyCode));
        _brokers.Add(broker);
        return broker;
    }

    /// <summary>A connection with the vhost's own rights, to watch exchanges as a test.</summary>
    public async Task<RawBroker> ObserverAsync()
    {
        var broker = await RawBroker.ConnectAsync(Vhost.AmqpUri);
        _brokers.Add(broker);
        return broker;
    }

    /// <summary>A record as an agency publishes it: the MassTransit envelope of the contract <paramref name="kind"/>
    /// (<c>judgment-defaulter-listed</c>, …) to its exchange, with the agency's broker user as <c>user_id</c>.</summary>
    public static Task PublishAsync(RawBroker broker, string agency, string kind, string body) =>
        broker.PublishAsync($"hub.{kind}", new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["messageType"] = new JsonArray($"urn:message:hub:{kind}:v1"),
            ["message"] = JsonNode.Parse(body),
        }.ToJsonString(), Envelope, userId: BrokerUsers.UserOf(agency));

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        await Hub.DisposeAsync();
        foreach (var b in _brokers) await b.DisposeAsync();
        await Database.DisposeAsync();
        await Vhost.DisposeAsync();
    }
}
