using Hub.Domain.Access;
using Hub.Domain.Subscriptions;
using Hub.Host.Security;
using Hub.Host.Subscribers;
using Hub.Storage;
using Hub.Storage.Audit;

namespace Hub.Host.Api;

/// <summary>
/// Operators and webhook subscribers: the deliveries that failed for good (the receiver refused the event, or did not
/// take it within the retry window), sending one again, and a new secret for an agency.
/// </summary>
public static partial class WebhookApi
{
    /// <summary>A dead letter, without its body (data about people; it stays in the database and goes out only to the
    /// agency's webhook when sent again).</summary>
    public sealed record DeadLetterView(string Id, string Agency, string EventId, string EventType, string EventKind, string RoutingKey, int Attempts,
        int? LastStatus, string LastError, DateTimeOffset FailedAt, DateTimeOffset? ResentAt, string? ResentBy);

    /// <summary>The agency's new webhook secret, shown this once.</summary>
    public sealed record WebhookSecretView(string Agency, string WebhookSecret);

    public static WebApplication MapWebhookApi(this WebApplication app)
    {
        var letters = app.MapGroup("/api/operator/webhooks/dead-letters").WithTags("Subscriptions");
        letters.MapGet("/", async (string? agency, int? limit, HttpContext http, IndexDatabase db, IAuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var code = agency?.Trim().ToUpperInvariant();
            var rows = await db.WebhookDeadLettersAsync(code, Math.Clamp(limit ?? 100, 1, 1000), ct);
            var caller = http.Caller();
            await audit.WriteAsync(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "webhooks.dead-letters.read", Scopes.Operate, null,
                "disclosed", $"{rows.Count} dead letters{(code is null ? "" : $" of {code}")}", "http"), ct);
            return Results.Ok(rows.Select(View).ToList());
        }).RequireScope(Scopes.Operate)
            .WithSummary("Webhook deliveries that failed for good, newest first, with the last answer (not their bodies)")
            .WithDescription("An event becomes a dead letter when the agency's webhook refuses it (a 4xx other than 408 and 429, or a redirect: at " +
                             "once) or has not taken it when the retry window closes (`Hub:Subscribers:Webhooks:RetryWindow`, 24 hours). The " +
                             "agency's later events go on meanwhile. `agency` narrows to one agency. Audited.")
            .Produces<List<DeadLetterView>>();

        letters.MapPost("/{id}/resend", async (string id, HttpContext http, IndexDatabase db, IWebhookTransport transport, WebhookTargets targets,
            IAuditTrail audit, TimeProvider time, ILoggerFactory logs, CancellationToken ct) =>
        {
            var caller = http.Caller();
            if (await db.WebhookDeadLetterAsync(id, ct) is not { } letter) return Problems.NotFound($"no webhook dead letter with id {id}");
            if ((await targets.CurrentAsync(ct)).GetValueOrDefault(letter.AgencyCode) is null)
            {
                audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "webhooks.resend", Scopes.Operate, null, "refused",
                    $"{letter.AgencyCode}: dead letter {id}: no webhook subscription", "http"));
                return Problems.Conflict($"{letter.AgencyCode} has no webhook subscription now: make one (PUT /api/operator/subscriptions/{letter.AgencyCode}) to send it again");
            }
            try
            {
                await transport.ResendAsync(letter, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogResendFailed(logs.CreateLogger(typeof(WebhookApi).FullName!), ex, id);
                return Problems.Unavailable($"dead letter {id} could not be queued again (the broker or the index did not take it); nothing changed, send it again");
            }
            var now = time.GetUtcNow();
            await db.MarkWebhookDeadLetterResentAsync(id, now, caller.Principal, new AuditEntry(now, caller.Principal, caller.AgencyCode, "webhooks.resend",
                Scopes.Operate, null, "resent", $"{letter.AgencyCode}: dead letter {id}, event {letter.EventId} ({letter.EventKind})", "http"), ct);
            return Results.Ok(View(letter) with { ResentAt = now, ResentBy = caller.Principal });
        }).RequireScope(Scopes.Operate)
            .WithSummary("Send a dead letter again: its event goes to the end of the agency's line and is delivered like any other")
            .WithDescription("Same body, same `X-Hub-Event-Id`, signed with the agency's current secret; retried again in full if the webhook fails. " +
                             "409 when the agency has no webhook subscription now. Audited.")
            .Produces<DeadLetterView>().ProducesProblem(404).ProducesProblem(409).ProducesProblem(503);

        app.MapPost("/api/operator/subscriptions/{agency}/webhook-secret", async (string agency, HttpContext http, SubscriptionDirectory directory, IndexDatabase db,
            WebhookTargets targets, TimeProvider time, CancellationToken ct) =>
        {
            var code = agency.Trim().ToUpperInvariant();
            if (directory.IsDeclared(code))
                return Problems.Conflict($"the subscription of {code} is declared in the subscription registry file: its secret is configuration, " +
                                         $"{WebhookTargets.SecretsSection}:{code}");
            var caller = http.Caller();
            var secret = WebhookSender.NewSecret();
            if (!await db.SetWebhookSecretAsync(code, secret, new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "subscriptions.webhook-secret",
                    Scopes.Operate, null, "rotated", $"{code}: new webhook secret", "http"), ct))
                return Problems.NotFound($"{code} has no webhook subscription made through the API");
            await targets.ChangedAsync(ct);
            return Results.Ok(new WebhookSecretView(code, secret));
        }).RequireScope(Scopes.Operate).WithTags("Subscriptions")
            .WithSummary("Give an agency's webhook a new secret, shown in this answer only")
            .WithDescription("Events sent from now on are signed with it; the old one stops at once in this Hub process, and within " +
                             "`Hub:Subscribers:Webhooks:RefreshInterval` (30 s) in the others — the agency should accept both meanwhile. Audited.")
            .Produces<WebhookSecretView>().ProducesProblem(404).ProducesProblem(409);
        return app;
    }

    private static DeadLetterView View(WebhookDeadLetterRow r) => new(r.Id, r.AgencyCode, r.EventId, r.EventType, r.EventKind, r.RoutingKey, r.Attempts,
        r.LastStatus, r.LastError, r.FailedAt, r.ResentAt, r.ResentBy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending webhook dead letter {DeadLetterId} again failed")]
    private static partial void LogResendFailed(ILogger log, Exception ex, string deadLetterId);
}
