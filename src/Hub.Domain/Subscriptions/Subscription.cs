using System.Text.Json;
using Hub.Contracts;
using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Domain.Identifiers;

namespace Hub.Domain.Subscriptions;

/// <summary>The kinds of outbound event a subscriber chooses among: the first word of each event's routing key.</summary>
public static class EventKinds
{
    public const string Listed = "listed";
    public const string Delisted = "delisted";
    public const string Expired = "expired";
    public const string Disputed = "disputed";
    public const string DisputeResolved = "dispute-resolved";

    /// <summary>A listed person (or the representative of a listed organisation) set up an organisation: by the list
    /// type of the listing found and the new organisation's province.</summary>
    public const string RelocationSuspected = "relocation-suspected";

    /// <summary>The subscriber's own records refused by the Hub (<c>RecordRejected</c>): always lawful to receive.</summary>
    public const string Rejected = "rejected";

    /// <summary>Two hub ids found to be one subject (<c>SubjectsMerged</c>), and a wrong merge undone
    /// (<c>SubjectSplit</c>): hub ids only, about any list.</summary>
    public const string Merged = "merged";
    public const string Split = "split";

    /// <summary>Kinds about subjects on lists, filtered by list type and province.</summary>
    public static readonly IReadOnlyList<string> AboutListings = [Listed, Delisted, Expired, Disputed, DisputeResolved, RelocationSuspected];

    /// <summary>Kinds about the identity of subjects: bound whole (<c>merged.#</c>), whatever the list.</summary>
    public static readonly IReadOnlyList<string> AboutIdentity = [Merged, Split];

    public static readonly IReadOnlyList<string> All = [.. AboutListings, .. AboutIdentity, Rejected];
}

/// <summary>How a subscriber gets its events: from its own queue on the Hub's broker, or POSTed to its HTTPS endpoint.</summary>
public static class Deliveries
{
    public const string Amqp = "amqp";
    public const string Webhook = "webhook";
}

/// <summary>What a subscriber asks for. Empty lists mean "all that the agency may lawfully receive".</summary>
public sealed record SubscriptionFilter
{
    public IReadOnlyList<string> EventKinds { get; init; } = [];
    public IReadOnlyList<string> ListTypes { get; init; } = [];
    public IReadOnlyList<string> OriginProvinces { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public IReadOnlyList<string> Measures { get; init; } = [];
}

/// <summary>A subscription as declared: in the registry file (<see cref="Source"/> <c>file</c>) or through the operator
/// API (<c>api</c>).</summary>
public sealed record Subscription
{
    public required string Agency { get; init; }
    public string Delivery { get; init; } = Deliveries.Amqp;
    public string? WebhookUrl { get; init; }
    public SubscriptionFilter Filter { get; init; } = new();
    public string Source { get; init; } = "api";
}

/// <summary>
/// A subscription checked against the catalogue, with what it comes to: the event kinds, list types and origin
/// provinces it receives (no province: all). Its broker bindings are their product.
/// </summary>
public sealed record ResolvedSubscription(Subscription Subscription, Agency Agency, IReadOnlyList<string> EventKinds, IReadOnlyList<string> ListTypes,
    IReadOnlyList<string> Provinces)
{
    /// <summary>The subscriber's own durable queue on the Hub's broker.</summary>
    public string Queue => EventRouting.QueueOf(Agency.Code);

    /// <summary>The routing-key patterns its queue is bound with on <see cref="EventRouting.Exchange"/>.</summary>
    public IReadOnlyList<string> BindingKeys
    {
        get
        {
            var keys = new List<string>();
            foreach (var kind in EventKinds)
            {
                if (kind == Subscriptions.EventKinds.Rejected)
                {
                    keys.Add(EventRouting.RejectedKey(Agency.Code));
                    continue;
                }
                if (Subscriptions.EventKinds.AboutIdentity.Contains(kind))
                {
                    keys.Add($"{kind}.#");
                    continue;
                }
                foreach (var listType in ListTypes)
                    if (Provinces.Count == 0) keys.Add($"{kind}.{listType}.*");
                    else keys.AddRange(Provinces.Select(p => $"{kind}.{listType}.{p}"));
            }
            return keys;
        }
    }

    /// <summary>Whether an event with this routing key reaches the subscriber (what the broker's bindings do).</summary>
    public bool Receives(string routingKey)
    {
        var parts = routingKey.Split('.');
        if (parts is [Subscriptions.EventKinds.Rejected, var user]) return EventKinds.Contains(Subscriptions.EventKinds.Rejected) && user == BrokerUsers.UserOf(Agency.Code);
        if (Subscriptions.EventKinds.AboutIdentity.Contains(parts[0])) return EventKinds.Contains(parts[0]);
        return parts.Length == 3 && EventKinds.Contains(parts[0]) && ListTypes.Contains(parts[1]) && (Provinces.Count == 0 || Provinces.Contains(parts[2]));
    }
}

/// <summary>A subscription refused: the field, why, and whether it asks for more than the agency may lawfully receive
/// (<see cref="Forbidden"/>: a 403) or is malformed (a 400).</summary>
public sealed record SubscriptionProblem(string Field, string Message, bool Forbidden);

/// <summary>
/// What a subscription may cover. An agency receives events about a list type only where it has a standing basis: its
/// kind issues that list (the legal-basis catalogue's <c>issuerKinds</c>), or the joint-sanctions catalogue links the
/// list to a measure its kind enforces as it grants licences or registrations. A measure every bureau applies at the
/// moment of a tender or grant (procurement, public funding: <c>checkOnly</c>) is a basis to check the bidders then,
/// not to receive the list as it changes — a labour bureau has no basis to receive every person's court listings. An
/// agency always may receive the refusals of its own records (<see cref="EventKinds.Rejected"/>).
/// </summary>
public sealed class SubscriptionRules(AgencyRegistry agencies, AccessPolicy access, LegalBasisCatalogue bases, JointSanctionsCatalogue sanctions)
{
    /// <summary>The list types an agency kind may receive events about, each with what makes it lawful: <c>issuer</c>,
    /// and the measures its kind enforces that the list triggers.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> LawfulListTypes(string agencyKind)
    {
        var issued = bases.Bases.Where(b => b.ListType is not null && b.IssuerKinds.Contains(agencyKind, StringComparer.OrdinalIgnoreCase))
            .Select(b => (ListType: b.ListType!, Why: "issuer"));
        var enforced = sanctions.Rules.Where(r => sanctions.Enforces(agencyKind, r.Measure) && sanctions.FindMeasure(r.Measure) is { CheckOnly: false })
            .Select(r => (r.ListType, Why: r.Measure));
        return issued.Concat(enforced).GroupBy(x => x.ListType)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(x => x.Why).Distinct().Order(StringComparer.Ordinal).ToList());
    }

    public (ResolvedSubscription? Value, SubscriptionProblem? Problem) Resolve(Subscription s, bool requireHttps)
    {
        if (agencies.Find(s.Agency) is not { } agency)
            return Bad("agency", $"agency '{s.Agency}' is not registered with the Hub");
        var f = s.Filter;

        // delivery
        if (s.Delivery == Deliveries.Webhook)
        {
            if (string.IsNullOrWhiteSpace(s.WebhookUrl) || !Uri.TryCreate(s.WebhookUrl, UriKind.Absolute, out var url) || (url.Scheme != "https" && url.Scheme != "http"))
                return Bad("webhookUrl", "a webhook subscription needs an absolute https:// URL");
            if (requireHttps && url.Scheme != "https")
                return Bad("webhookUrl", $"webhook URL {url.GetLeftPart(UriPartial.Authority)} is not HTTPS; in server mode events about people travel over HTTPS only");
        }
        else if (s.Delivery == Deliveries.Amqp)
        {
            if (s.WebhookUrl is not null) return Bad("webhookUrl", "an amqp subscription takes no webhookUrl (set delivery to webhook)");
        }
        else return Bad("delivery", $"delivery '{s.Delivery}' is neither {Deliveries.Amqp} nor {Deliveries.Webhook}");

        // event kinds
        for (var i = 0; i < f.EventKinds.Count; i++)
            if (!EventKinds.All.Contains(f.EventKinds[i]))
                return Bad($"filter.eventKinds[{i}]", $"'{f.EventKinds[i]}' is no event kind; kinds: {string.Join(", ", EventKinds.All)}");
        var kinds = (f.EventKinds.Count == 0 ? EventKinds.All : f.EventKinds).Distinct().ToList();
        // a subscriber that applies a listing must hear when it ends, or it restricts someone the issuer has released
        if (kinds.Contains(EventKinds.Listed) && (!kinds.Contains(EventKinds.Delisted) || !kinds.Contains(EventKinds.Expired)))
            return Bad("filter.eventKinds", "a subscription that receives listed must receive their ends too (delisted, expired): a listing removed, revoked, " +
                                            "repaired or run out must stop being applied");
        var aboutListings = kinds.Any(k => EventKinds.AboutListings.Contains(k));
        var caller = access.Resolve(agency.Code);
        if (kinds.Any(k => k != EventKinds.Rejected) && caller?.Has(Scopes.Subscribe) != true)
            return Forbidden("filter.eventKinds", $"agency {agency.Code} ({agency.Kind}) holds no {Scopes.Subscribe}: it may receive only the refusals of its own records (eventKinds [\"rejected\"])");

        // list types: what the agency may receive, narrowed by list types, categories and measures asked for
        var lawful = LawfulListTypes(agency.Kind);
        var known = bases.Bases.Select(b => b.ListType).OfType<string>().ToHashSet();
        for (var i = 0; i < f.ListTypes.Count; i++)
        {
            var t = f.ListTypes[i];
            if (!known.Contains(t)) return Bad($"filter.listTypes[{i}]", $"'{t}' is no list type of catalogue {bases.Version}; list types: {string.Join(", ", known.Order())}");
            if (!lawful.ContainsKey(t))
                return Forbidden($"filter.listTypes[{i}]", $"agency {agency.Code} ({agency.Kind}) may not receive {t}: its kind does not issue it, and the " +
                                                           $"joint-sanctions catalogue {sanctions.Version} links it to no measure that {agency.Kind} agencies enforce " +
                                                           $"as they grant (checking bidders at a tender is POST /api/checks/batch); lawful: {Shown(lawful.Keys)}");
        }
        var listTypes = (f.ListTypes.Count == 0 ? lawful.Keys : f.ListTypes).Distinct().ToList();

        var categories = bases.Bases.Select(b => b.Category).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < f.Categories.Count; i++)
            if (!categories.Contains(f.Categories[i]))
                return Bad($"filter.categories[{i}]", $"'{f.Categories[i]}' is no penalty category; categories: {string.Join(", ", categories.Order())}");
        if (f.Categories.Count > 0)
            listTypes = listTypes.Where(t => bases.Bases.Any(b => b.ListType == t && b.Category is { } c && f.Categories.Contains(c, StringComparer.OrdinalIgnoreCase))).ToList();

        for (var i = 0; i < f.Measures.Count; i++)
        {
            var m = f.Measures[i];
            if (sanctions.FindMeasure(m) is null)
                return Bad($"filter.measures[{i}]", $"'{m}' is no measure of the joint-sanctions catalogue {sanctions.Version}; measures: {string.Join(", ", sanctions.Measures.Select(x => x.Code))}");
            if (!sanctions.Enforces(agency.Kind, m))
                return Forbidden($"filter.measures[{i}]", $"agency {agency.Code} ({agency.Kind}) does not enforce {m}: its kind enforces {Shown(sanctions.MeasuresEnforcedBy(agency.Kind))}");
            if (sanctions.FindMeasure(m) is { CheckOnly: true })
                return Forbidden($"filter.measures[{i}]", $"{m} is applied by checking the subjects at the moment of a tender or grant (POST /api/checks/batch), not by receiving the list as it changes");
        }
        if (f.Measures.Count > 0)
            listTypes = listTypes.Where(t => f.Measures.Any(m => sanctions.RuleFor(t, m) is not null)).ToList();
        if (aboutListings && listTypes.Count == 0)
            return Bad("filter", "the filters leave no list type to receive: list types, categories and measures exclude one another");
        listTypes.Sort(StringComparer.Ordinal);

        for (var i = 0; i < f.OriginProvinces.Count; i++)
            if (f.OriginProvinces[i] is not { Length: 2 } p || !Regions.IsProvince(p))
                return Bad($"filter.originProvinces[{i}]", $"'{f.OriginProvinces[i]}' is no province code (two digits of GB/T 2260, e.g. 34)");

        return (new ResolvedSubscription(s with { Agency = agency.Code }, agency, kinds, aboutListings ? listTypes : [],
            f.OriginProvinces.Distinct().Order(StringComparer.Ordinal).ToList()), null);

        static (ResolvedSubscription?, SubscriptionProblem?) Bad(string field, string message) => (null, new SubscriptionProblem(field, message, false));
        static (ResolvedSubscription?, SubscriptionProblem?) Forbidden(string field, string message) => (null, new SubscriptionProblem(field, message, true));
        static string Shown(IEnumerable<string> values) => values.Any() ? string.Join(", ", values.Order(StringComparer.Ordinal)) : "none";
    }
}

/// <summary>
/// The subscriptions declared as data (<c>Catalogue/subscriptions.json</c>, replaceable by file): the agencies whose
/// subscriptions are part of the deployment. The operator API manages the others, and cannot change these.
/// </summary>
public static class SubscriptionRegistry
{
    public static IReadOnlyList<Subscription> Load(string json)
    {
        var file = JsonSerializer.Deserialize<RegistryFile>(json, CatalogueJson.Options)
                   ?? throw new InvalidDataException("subscription registry is empty");
        var dup = file.Subscriptions.GroupBy(s => s.Agency, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"subscription registry lists {dup.Key} twice");
        return file.Subscriptions.Select(s => s with { Source = "file" }).ToList();
    }

    public static IReadOnlyList<Subscription> Embedded() => Load(CatalogueJson.ReadEmbedded("subscriptions.json"));

    private sealed record RegistryFile(List<Subscription> Subscriptions);
}

/// <summary>
/// Where outbound events go on the broker: one topic exchange, <see cref="Exchange"/>, with the routing key
/// <c>{event}.{listType}.{province}</c> (the two-digit origin province) — <c>listed.judgment-defaulter.34</c> — or
/// <c>rejected.{agency user}</c> for a <c>RecordRejected</c>; and one durable queue per subscriber, bound from its
/// subscription.
/// </summary>
public sealed class EventRouting(AgencyRegistry agencies)
{
    public const string Exchange = "hub.events";

    public static string QueueOf(string agencyCode) => "hub.subscriber." + BrokerUsers.UserOf(agencyCode);

    public static string RejectedKey(string agencyCode) => $"{EventKinds.Rejected}.{BrokerUsers.UserOf(agencyCode)}";

    /// <summary>The event kind of an outbound event; null for a message no subscriber receives.</summary>
    public static string? KindOf(object message) => message switch
    {
        SubjectListed => EventKinds.Listed,
        SubjectDelisted { Status: EventKinds.Expired } => EventKinds.Expired,
        SubjectDelisted => EventKinds.Delisted,
        SubjectDisputed => EventKinds.Disputed,
        SubjectDisputeResolved => EventKinds.DisputeResolved,
        RecordRejected => EventKinds.Rejected,
        RelocationSuspected => EventKinds.RelocationSuspected,
        SubjectsMerged => EventKinds.Merged,
        SubjectSplit => EventKinds.Split,
        _ => null,
    };

    public string RoutingKeyOf(object message) => message switch
    {
        SubjectListed m => Key(EventKinds.Listed, m.ListType, m.OriginProvince),
        SubjectDelisted m => Key(KindOf(m)!, m.ListType, ProvinceOf(m.OriginAgency)),
        SubjectDisputed m => Key(EventKinds.Disputed, m.ListType, ProvinceOf(m.OriginAgency)),
        SubjectDisputeResolved m => Key(EventKinds.DisputeResolved, m.ListType, ProvinceOf(m.OriginAgency)),
        RecordRejected m => RejectedKey(m.AgencyCode),
        RelocationSuspected m => Key(EventKinds.RelocationSuspected, m.ListType, m.Province),
        SubjectsMerged or SubjectSplit => $"{KindOf(message)}.subject.00",
        _ => "other." + message.GetType().Name,
    };

    private string ProvinceOf(string agencyCode) => agencies.Find(agencyCode)?.ProvinceCode ?? "00";

    // a routing key's words are separated by dots: a value carrying one would shift the words after it
    private static string Key(string kind, string listType, string province) => $"{kind}.{listType.Replace('.', '_')}.{province.Replace('.', '_')}";
}
