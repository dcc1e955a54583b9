using Hub.Domain.Access;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Storage.Audit;

namespace Hub.Host.Api;

/// <summary>What operators need first: the quarantine, API keys; and for auditors the audit log and its verification.</summary>
public static class OperatorApi
{
    public sealed record NewApiKey(string Principal, string? Label);

    public static WebApplication MapOperatorApi(this WebApplication app)
    {
        app.MapGet("/api/operator/quarantine", async (string? agency, int? limit, IndexDatabase db, CancellationToken ct) =>
        {
            var rows = await db.QuarantineAsync(agency, Math.Clamp(limit ?? 100, 1, 1000), ct);
            // payloads stay in the database: they hold whole records about people
            return Results.Ok(rows.Select(q => new { q.Id, q.AgencyCode, q.SourceRecordId, q.Revision, q.Kind, q.ReasonCode, q.Reason, q.MessageId, q.ReceivedAt }));
        }).RequireScope(Scopes.Operate);

        var keys = app.MapGroup("/api/operator/api-keys");
        keys.MapGet("/", async (IndexDatabase db, CancellationToken ct) =>
            Results.Ok((await db.ApiKeysAsync(ct)).Select(k => new { k.Id, k.Principal, k.Label, k.CreatedAt, k.CreatedBy, k.RevokedAt })))
            .RequireScope(Scopes.Operate);
        keys.MapPost("/", async (NewApiKey request, HttpContext http, ApiKeyService service, AuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var caller = http.Caller();
            try
            {
                var (row, key) = await service.CreateAsync(request.Principal, request.Label, caller.Principal, ct);
                await audit.WriteAsync(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "api-keys.create", Scopes.Operate, null,
                    "created", $"key {row.Id} for {row.Principal}", "http"), ct);
                // the key itself is in this answer only
                return Results.Json(new { row.Id, row.Principal, row.Label, row.CreatedAt, Key = key }, statusCode: 201);
            }
            catch (ArgumentException ex)
            {
                return Problems.BadRequest(ex.Message.Split(" (Parameter", 2)[0], "principal");
            }
        }).RequireScope(Scopes.Operate);
        keys.MapDelete("/{id}", async (string id, HttpContext http, ApiKeyService service, AuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var caller = http.Caller();
            if (!await service.RevokeAsync(id, ct)) return Problems.NotFound($"no active API key with id {id}");
            await audit.WriteAsync(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "api-keys.revoke", Scopes.Operate, null,
                "revoked", $"key {id}", "http"), ct);
            return Results.NoContent();
        }).RequireScope(Scopes.Operate);

        var audits = app.MapGroup("/api/audit");
        audits.MapGet("/verify", async (HttpContext http, IndexDatabase db, AuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var result = await db.VerifyAuditAsync(ct);
            Record(audit, http, time, "audit.verify", null, result.Intact ? $"intact, {result.Entries} entries" : $"broken at {result.FirstBrokenSeq}");
            return Results.Ok(result);
        }).RequireScope(Scopes.ReadAudit);
        audits.MapGet("/", async (string? subject, int? limit, HttpContext http, IndexDatabase db, AuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var n = Math.Clamp(limit ?? 100, 1, 1000);
            var rows = subject is null ? await db.AuditLatestAsync(n, ct) : await db.AuditOfSubjectAsync(subject, n, ct);
            Record(audit, http, time, "audit.read", subject, $"{rows.Count} entries");
            return Results.Ok(rows);
        }).RequireScope(Scopes.ReadAudit);

        app.MapGet("/api/whoami", (HttpContext http) =>
        {
            var c = http.Caller();
            return Results.Ok(new { c.Principal, c.AgencyCode, c.Role, Scopes = c.Scopes.Order(StringComparer.Ordinal), Method = http.User.Identity?.AuthenticationType });
        }).RequireScope(null);

        app.MapGet("/", () => Results.Text(
            "The Hub is running. Send your API key as the X-Api-Key header (or a client certificate).\n" +
            "GET /api/subjects?uscc=|orgCode=   POST /api/subjects/search   POST /api/adapters/court/{agency}/notices   " +
            "GET /api/operator/quarantine   GET /api/audit/verify   GET /api/whoami   GET /health/ready\n")).AllowAnonymous();
        return app;
    }

    private static void Record(AuditTrail audit, HttpContext http, TimeProvider time, string action, string? subject, string detail)
    {
        var c = http.Caller();
        audit.Enqueue(new AuditEntry(time.GetUtcNow(), c.Principal, c.AgencyCode, action, Scopes.ReadAudit, subject, "answered", detail, "http"));
    }
}
