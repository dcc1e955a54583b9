using System.Text.Json;
using Hub.Domain.Access;
using Hub.Domain.Subscriptions;
using Hub.Host.Security;
using Hub.Host.Subscribers;
using Hub.Storage;
using Hub.Storage.Audit;

namespace Hub.Host.Api;

/// <summary>A subscription as asked for (PUT body).</summary>
public sealed record SubscriptionRequest(string? Delivery, string? WebhookUrl, SubscriptionFilter? Filter);

/// <summary>
/// A subscription and what it comes to: the event kinds, list types and provinces it receives, its queue on the broker
/// and the binding keys there (server mode: <c>queueSyncedAt</c>, and <c>queueRecreatedAt</c> when the Hub found the
/// queue deleted and declared it again). <c>source</c>: <c>file</c> (the registry file; changed only there) or <c>api</c>.
/// </summary>
public sealed record SubscriptionView(string Agency, string Source, string Delivery, string? WebhookUrl, SubscriptionFilter Filter,
    IReadOnlyList<string> EventKinds, IReadOnlyList<string> ListTypes, IReadOnlyList<string> OriginProvinces, string Queue,
    IReadOnlyList<string> BindingKeys, DateTimeOffset? QueueSyncedAt, DateTimeOffset? QueueRecreatedAt)
{
    /// <summary>Only in the answer to the PUT that made the webhook subscription (or made a subscription a webhook one):
    /// the secret that signs its POSTs, shown this once. Changing the filter or URL keeps it;
    /// <c>POST /api/operator/subscriptions/{agency}/webhook-secret</c> replaces it.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? WebhookSecret { get; init; }
}

/// <summary>What an agency may lawfully subscribe to: each list type with the measures its kind enforces that the
/// joint-sanctions catalogue links to it.</summary>
public sealed record LawfulScopeView(string Agency, string Kind, bool MaySubscribe, IReadOnlyDictionary<string, IReadOnlyList<string>> ListTypes,
    IReadOnlyList<string> EventKinds);

public static class SubscriptionApi
{
    public static WebApplication MapSubscriptionApi(this WebApplication app)
    {
        var ops = app.MapGroup("/api/operator/subscriptions").WithTags("Subscriptions");
        ops.MapGet("/", async (SubscriptionDirectory directory, IndexDatabase db, CancellationToken ct) =>
        {
            var queues = await db.SubscriberQueuesAsync(ct);
            return Results.Ok((await directory.AllAsync(ct)).Select(s => View(s, queues)).ToList());
        }).RequireScope(Scopes.Operate).WithSummary("Every subscription in force, with its queue and bindings").Produces<List<SubscriptionView>>();

        ops.MapPut("/{agency}", PutAsync).RequireScope(Scopes.Operate)
            .WithSummary("Make or change an agency's subscription")
            .WithDescription("Body: `delivery` (`amqp`, default: the agency's own queue `hub.subscriber.{agency user}`; or `webhook` with an " +
                             "https `webhookUrl`), `filter` with `eventKinds` (listed, delisted, expired, disputed, dispute-resolved, rejected), " +
                             "`listTypes`, `originProvinces` (two digits), `categories` and `measures` — empty: all that the agency may lawfully " +
                             "receive. A list type, category or measure beyond what the joint-sanctions catalogue lets the agency's kind receive is " +
                             "403 naming it; an unknown one 400. In server mode the queue's bindings change at once — new ones first, on the same " +
                             "queue, so nothing queued is lost. A subscription made a webhook one gets a secret, in this answer only (`webhookSecret`). Audited.")
            .Accepts<SubscriptionRequest>("application/json")
            .Produces<SubscriptionView>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(409);

        ops.MapDelete("/{agency}", DeleteAsync).RequireScope(Scopes.Operate)
            .WithSummary("End an agency's subscription: its queue is unbound and kept with what it holds")
            .Produces(204).ProducesProblem(404).ProducesProblem(409);

        var own = app.MapGroup("/api/subscriptions").WithTags("Subscriptions");
        own.MapGet("/{agency}", async (string agency, SubscriptionDirectory directory, IndexDatabase db, Hub.Domain.Catalogue.AgencyRegistry agencies, AccessPolicy access, CancellationToken ct) =>
        {
            var lawful = Lawful(directory, agencies, access, agency);
            var current = await directory.FindAsync(agency, ct);
            return Results.Ok(new { lawful, subscription = current is null ? null : View(current, await db.SubscriberQueuesAsync(ct)) });
        }).RequireScope(Scopes.Subscribe, ownAgency: "agency")
            .WithSummary("The caller's own subscription, and what its kind may lawfully subscribe to")
            .Produces<object>();
        return app;
    }

    private static async Task<IResult> PutAsync(string agency, HttpContext http, SubscriptionDirectory directory, IndexDatabase db, IAuditTrail audit,
        TimeProvider time, IServiceProvider services, CancellationToken ct)
    {
        SubscriptionRequest? body;
        try
        {
            body = await http.Request.ReadFromJsonAsync<SubscriptionRequest>(SubscriptionDirectory.FilterJson, ct);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest($"the body is not the JSON documented: {(ex.Path is { Length: > 2 } p ? p[2..] + ": " : "")}{ex.Message.Split(". Path:")[0]}",
                ex.Path is { Length: > 2 } field ? field[2..] : null);
        }
        if (body is null) return Problems.BadRequest("the body holds no subscription");
        if (directory.IsDeclared(agency))
            return Problems.Conflict($"the subscription of {agency} is declared in the subscription registry file; change it there");
        var subscription = new Subscription
        {
            Agency = agency, Delivery = body.Delivery ?? Deliveries.Amqp, WebhookUrl = body.WebhookUrl, Filter = body.Filter ?? new SubscriptionFilter(),
        };
        var (resolved, problem) = directory.Rules.Resolve(subscription, directory.RequireHttps);
        var caller = http.Caller();
        if (resolved is null)
        {
            audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "subscriptions.put", Scopes.Operate, null, "refused",
                $"{agency}: {problem!.Field}: {problem.Message}", "http"));
            return problem!.Forbidden ? Problems.Make(403, "forbidden", "Not allowed", problem.Message, new Dictionary<string, object?> { ["field"] = problem.Field })
                : Problems.BadRequest(problem.Message, problem.Field);
        }
        // a webhook subscription keeps its secret while it stays one; made one, it gets a new secret, shown in this answer only
        var kept = subscription.Delivery != Deliveries.Webhook ? null
            : (await db.SubscriptionsAsync(ct)).FirstOrDefault(r => r.AgencyCode == resolved.Agency.Code && r.Delivery == Deliveries.Webhook)?.WebhookSecret;
        var newSecret = subscription.Delivery == Deliveries.Webhook && string.IsNullOrEmpty(kept) ? WebhookSender.NewSecret() : null;
        var row = new SubscriptionRow
        {
            AgencyCode = resolved.Agency.Code, Delivery = subscription.Delivery, WebhookUrl = subscription.WebhookUrl,
            Filter = JsonSerializer.Serialize(subscription.Filter, SubscriptionDirectory.FilterJson), UpdatedAt = time.GetUtcNow(), UpdatedBy = caller.Principal,
            WebhookSecret = newSecret ?? kept,
        };
        await db.SaveSubscriptionAsync(row, new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "subscriptions.put", Scopes.Operate, null,
            "changed", $"{row.AgencyCode}: {row.Delivery}; binding keys {string.Join(" ", resolved.BindingKeys)}{(newSecret is null ? "" : "; webhook secret made")}",
            "http"), ct);
        var queues = await db.SubscriberQueuesAsync(ct);
        if (services.GetService<SubscriberTopology>() is { } topology)
            queues = [await topology.SyncAsync(resolved, ct)];
        if (services.GetService<WebhookTargets>() is { } webhooks) await webhooks.ChangedAsync(ct);
        return Results.Ok(View(resolved, queues) with { WebhookSecret = newSecret });
    }

    private static async Task<IResult> DeleteAsync(string agency, HttpContext http, SubscriptionDirectory directory, IndexDatabase db, IAuditTrail audit,
        TimeProvider time, IServiceProvider services, CancellationToken ct)
    {
        if (directory.IsDeclared(agency))
            return Problems.Conflict($"the subscription of {agency} is declared in the subscription registry file; change it there");
        var caller = http.Caller();
        var code = agency.Trim().ToUpperInvariant();
        if (!await db.DeleteSubscriptionAsync(code, new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "subscriptions.delete",
                Scopes.Operate, null, "ended", $"{code}: queue unbound, kept with what it holds", "http"), ct))
            return Problems.NotFound($"{agency} has no subscription made through the API");
        if (services.GetService<SubscriberTopology>() is { } topology) await topology.UnbindAsync(code, ct);
        if (services.GetService<WebhookTargets>() is { } webhooks) await webhooks.ChangedAsync(ct);
        return Results.NoContent();
    }

    private static SubscriptionView View(ResolvedSubscription s, IReadOnlyList<SubscriberQueueRow> queues)
    {
        var queue = queues.FirstOrDefault(q => q.AgencyCode == s.Agency.Code);
        var sub = s.Subscription;
        return new SubscriptionView(s.Agency.Code, sub.Source, sub.Delivery, sub.WebhookUrl, sub.Filter, s.EventKinds, s.ListTypes, s.Provinces, s.Queue,
            s.BindingKeys, queue?.SyncedAt, queue?.RecreatedAt);
    }

    private static LawfulScopeView? Lawful(SubscriptionDirectory directory, Hub.Domain.Catalogue.AgencyRegistry agencies, AccessPolicy access, string code)
    {
        if (agencies.Find(code) is not { } agency) return null;
        var may = access.Resolve(agency.Code)?.Has(Scopes.Subscribe) == true;
        return new LawfulScopeView(agency.Code, agency.Kind, may, may ? directory.Rules.LawfulListTypes(agency.Kind) : new Dictionary<string, IReadOnlyList<string>>(),
            may ? EventKinds.All : [EventKinds.Rejected]);
    }
}
