using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hub.Contracts;
using Hub.Domain.Catalogue;
using MassTransit;

namespace Hub.Domain.Access;

/// <summary>
/// Who is who on the Hub's broker. Every registered agency has a RabbitMQ user of its own, named after its code in
/// lower case, that may write only to the exchanges of the record kinds its kind may issue — read from the legal-basis
/// catalogue (<c>issuerKinds</c> × <c>recordKinds</c>), so a new basis or agency kind needs no change here. The
/// aggregator believes the broker, not the message body: RabbitMQ checks the AMQP <c>user_id</c> property against the
/// connection's user, and <see cref="AgencyOf"/> maps that user back to the agency.
/// </summary>
public sealed class BrokerUsers(AgencyRegistry agencies, LegalBasisCatalogue catalogue)
{
    /// <summary>The Hub's virtual host in server mode.</summary>
    public const string Vhost = "hub";

    /// <summary>The aggregator: consumes the inbound exchanges, publishes outbound events.</summary>
    public const string AggregatorUser = "hub-aggregator";

    /// <summary>The Hub's own adapters: one connection serves many agencies, each record published with the served
    /// agency's user as <c>user_id</c> — which RabbitMQ allows only to a user tagged <see cref="ImpersonatorTag"/>.</summary>
    public const string AdapterUser = "hub-adapter";

    /// <summary>Operators: the management UI's read-only views (tag <c>monitoring</c>), no access to messages.</summary>
    public const string OperatorUser = "hub-operator";

    public const string ImpersonatorTag = "impersonator";

    /// <summary>Every password in the generated definitions: set real ones before importing.</summary>
    public const string PlaceholderPassword = "CHANGE-ME";

    /// <summary>The Hub's own entities: its exchanges and queues (<c>hub.*</c>), MassTransit's fault exchanges
    /// (<c>MassTransit:ReceiveFault</c> for a message that cannot be read, <c>MassTransit:Fault--…</c>) — without them
    /// a malformed message closes the consumer's channel instead of reaching <c>hub.aggregator_error</c> — and its bus
    /// endpoint queue per process (<c>{host}_bus_{id}</c>).</summary>
    public const string HubEntities = @"^(hub\..*|MassTransit:.*|[A-Za-z0-9-]+_bus_.*)$";

    /// <summary>A permission pattern that matches no entity.</summary>
    public const string Nothing = "^$";

    /// <summary>
    /// The MassTransit header naming the agency a Hub adapter published a record for. Believed only on the in-memory
    /// transport, where nothing outside the process can publish; on RabbitMQ anyone with write permission can set any
    /// header, so there the validated <c>user_id</c> alone counts.
    /// </summary>
    public const string PublisherAgencyHeader = "Hub-Publisher-Agency";

    /// <summary>
    /// Set by the Hub on a message it publishes again in another's place — MassTransit's move to
    /// <c>hub.aggregator_error</c> or <c>_skipped</c>, an operator's replay — as that publish carries the Hub's own user as
    /// <c>user_id</c> (the broker lets no user but an <c>impersonator</c> set another's): the broker user the broker
    /// validated as the message's first publisher, empty when there was none. Believed only on a message whose validated
    /// <c>user_id</c> is one of the Hub's own users; on anyone else's it counts for nothing, whatever it says.
    /// </summary>
    public const string VerifiedPublisherHeader = "hub-verified-publisher";

    /// <summary>The broker user of <paramref name="agency"/>.</summary>
    public static string UserOf(Agency agency) => UserOf(agency.Code);

    /// <summary>The broker user of the agency with <paramref name="agencyCode"/>.</summary>
    public static string UserOf(string agencyCode) => agencyCode.Trim().ToLowerInvariant();

    /// <summary>The registered agency whose broker user is exactly <paramref name="brokerUser"/>, or null: RabbitMQ user
    /// names are case-sensitive, so <c>COURT-34-1122</c> is not the user <c>court-34-1122</c>.</summary>
    public Agency? AgencyOf(string? brokerUser) =>
        brokerUser is not null && agencies.Find(brokerUser) is { } agency && string.Equals(UserOf(agency), brokerUser, StringComparison.Ordinal)
            ? agency
            : null;

    /// <summary>The inbound exchanges an agency of <paramref name="kind"/> may write to (those of its record kinds and of
    /// their batch contracts), sorted; empty when its kind
    /// issues nothing in the catalogue.</summary>
    public IReadOnlyList<string> ExchangesFor(string kind) => catalogue.Bases
        .Where(b => b.IssuerKinds.Contains(kind, StringComparer.OrdinalIgnoreCase))
        .SelectMany(b => b.RecordKinds)
        .SelectMany(kind => BatchExchangeOf(kind) is { } batch ? [ExchangeOf(kind), batch] : new[] { ExchangeOf(kind) })
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>The write permission of an agency of <paramref name="kind"/>: its exchanges, nothing else.</summary>
    public string WritePattern(string kind) => ExchangesFor(kind).Select(Regex.Escape).ToList() switch
    {
        [] => Nothing,
        [var one] => $"^{one}$",
        var many => $"^({string.Join('|', many)})$",
    };

    /// <summary>The exchange of a record kind, as the contract pins it with <see cref="EntityNameAttribute"/>.</summary>
    public static string ExchangeOf(string recordKind) =>
        typeof(SourceStamp).Assembly.GetType($"{typeof(SourceStamp).Namespace}.{recordKind}")?.GetCustomAttribute<EntityNameAttribute>()?.EntityName
        ?? throw new InvalidDataException($"the catalogue names record kind '{recordKind}', which is no contract with an exchange in Hub.Contracts");

    /// <summary>The exchange of the batch contract of a record kind (<c>{kind}Batch</c>, the bulk path), or null when the
    /// kind has none.</summary>
    public static string? BatchExchangeOf(string recordKind) =>
        typeof(SourceStamp).Assembly.GetType($"{typeof(SourceStamp).Namespace}.{recordKind}Batch")?.GetCustomAttribute<EntityNameAttribute>()?.EntityName;

    /// <summary>The one queue an agency may read (consume): <c>hub.subscriber.{its user}</c>.</summary>
    public static string SubscriberQueuePattern(string agencyCode) => $"^{Regex.Escape("hub.subscriber." + UserOf(agencyCode))}$";

    /// <summary>
    /// The broker's definitions for server mode (<c>rabbitmqctl import_definitions</c>): the vhost, the Hub's users and
    /// one per agency, and their permissions. Agencies may configure nothing — configure includes deleting, and an
    /// agency must not be able to delete an exchange — and read only their own subscriber queue
    /// (<see cref="SubscriberQueuePattern"/>), which the Hub declares and binds from their subscription; they learn the
    /// fate of their records from <c>RecordRejected</c> there too.
    /// </summary>
    public string Definitions()
    {
        var byCode = agencies.All.OrderBy(a => a.Code, StringComparer.Ordinal).ToList();
        var users = new List<string>
        {
            User(AggregatorUser, ""),
            User(AdapterUser, ImpersonatorTag),
            User(OperatorUser, "monitoring"),
        };
        users.AddRange(byCode.Select(a => User(UserOf(a), "")));
        var permissions = new List<string>
        {
            Permission(AggregatorUser, HubEntities, HubEntities, HubEntities),
            Permission(AdapterUser, HubEntities, HubEntities, HubEntities),
            Permission(OperatorUser, Nothing, Nothing, Nothing),
        };
        permissions.AddRange(byCode.Select(a => Permission(UserOf(a), Nothing, WritePattern(a.Kind), SubscriberQueuePattern(a.Code))));

        var json = new StringBuilder();
        json.Append("{\n");
        json.Append($"  \"vhosts\": [{Object(("name", Vhost))}],\n");
        json.Append("  \"users\": [\n    ").AppendJoin(",\n    ", users).Append("\n  ],\n");
        json.Append("  \"permissions\": [\n    ").AppendJoin(",\n    ", permissions).Append("\n  ]\n");
        json.Append("}\n");
        return json.ToString();

        static string User(string name, string tags) => Object(("name", name), ("password", PlaceholderPassword), ("tags", tags));

        static string Permission(string user, string configure, string write, string read) =>
            Object(("user", user), ("vhost", Vhost), ("configure", configure), ("write", write), ("read", read));
    }

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One JSON object on one line, so a changed permission reads as one changed line in a diff.</summary>
    private static string Object(params (string Name, string Value)[] fields) =>
        "{ " + string.Join(", ", fields.Select(f => $"{JsonSerializer.Serialize(f.Name, Relaxed)}: {JsonSerializer.Serialize(f.Value, Relaxed)}")) + " }";
}
