using Hub.Domain.Access;
using Hub.Domain.Lifecycle;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Storage.Audit;

namespace Hub.Host.Api;

/// <summary>What operators need first: the quarantine, API keys; and for auditors the audit log and its verification.</summary>
public static class OperatorApi
{
    public sealed record NewApiKey(string Principal, string? Label);
    public sealed record ApiKeyView(string Id, string Principal, string? Label, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt);
    public sealed record CreatedApiKey(string Id, string Principal, string? Label, DateTimeOffset CreatedAt, string Key);
    public sealed record QuarantineView(string Id, string? AgencyCode, string? SourceRecordId, int? Revision, string Kind, string ReasonCode,
        string Reason, string? MessageId, DateTimeOffset ReceivedAt);
    public sealed record HeldRemovalView(string Id, string AgencyCode, string SourceRecordId, int Revision, string ListingSourceRecordId,
        string? MessageId, DateTimeOffset ReceivedAt, DateTimeOffset Deadline);
    /// <summary>A dispute of a listing: <c>overdue</c> when it was not decided by its review deadline.</summary>
    public sealed record DisputeDeadlineView(string DisputeId, string AgencyCode, string ListingSourceRecordId, string SourceRecordId, string Kind,
        string SubjectId, string ListingId, DateOnly FiledOn, DateOnly? ReviewDeadline, DateTimeOffset OpenedAt, DateTimeOffset? ResolvedAt,
        string? Outcome, DateOnly? DecidedOn, bool Overdue);
    public sealed record RemovalDeadlineView(string AgencyCode, string SourceRecordId, int Revision, string ListingId,
        DateTimeOffset ReceivedAt, DateTimeOffset Deadline, DateTimeOffset? PublishedAt, bool Overdue);
    public sealed record WhoAmI(string Principal, string? AgencyCode, string? Role, IReadOnlyList<string> Scopes, string? Method);

    public static WebApplication MapOperatorApi(this WebApplication app)
    {
        app.MapGet("/api/operator/quarantine", async (string? agency, int? limit, HttpContext http, IndexDatabase db, IAuditTrail audit, TimeProvider time,
            CancellationToken ct) =>
        {
            var rows = await db.QuarantineAsync(agency, Math.Clamp(limit ?? 100, 1, 1000), ct);
            var caller = http.Caller();
            // reasons and source record ids about people: on record before they are shown
            await audit.WriteAsync(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "quarantine.read", Scopes.Operate, null,
                "disclosed", $"{rows.Count} entries{(agency is null ? "" : $" of {agency}")}", "http"), ct);
            // payloads stay in the database: they hold whole records about people
            return Results.Ok(rows.Select(q => new QuarantineView(q.Id, q.AgencyCode, q.SourceRecordId, q.Revision, q.Kind, q.ReasonCode, q.Reason, q.MessageId, q.ReceivedAt)).ToList());
        }).RequireScope(Scopes.Operate).WithTags("Operators")
            .WithSummary("Records refused by rule, newest first, with their reasons (not their payloads)")
            .Produces<List<QuarantineView>>();

        app.MapGet("/api/operator/held-removals", async (int? limit, IndexDatabase db, CancellationToken ct) =>
        {
            var rows = await db.HeldRemovalsAsync(Math.Clamp(limit ?? 100, 1, 1000), ct);
            return Results.Ok(rows.Select(h => new HeldRemovalView(h.Id, h.AgencyCode, h.SourceRecordId, h.Revision, h.ListingSourceRecordId,
                h.MessageId, h.ReceivedAt, h.Deadline)).ToList());
        }).RequireScope(Scopes.Operate).WithTags("Operators")
            .WithSummary("Court removals waiting for the listing they end, the nearest deadline first; past it they go to quarantine (no-such-listing)")
            .Produces<List<HeldRemovalView>>();

        app.MapGet("/api/operator/removal-deadlines", async (bool? overdue, int? limit, IndexDatabase db, TimeProvider time, CancellationToken ct) =>
        {
            var now = time.GetUtcNow();
            var rows = await db.RemovalDeadlinesAsync(overdue ?? false, Math.Clamp(limit ?? 100, 1, 1000), ct);
            return Results.Ok(rows.Select(r => new RemovalDeadlineView(r.AgencyCode, r.SourceRecordId, r.Revision, r.ListingId, r.ReceivedAt, r.Deadline,
                r.PublishedAt, r.PublishedAt is { } at ? at > r.Deadline : now > r.Deadline)).ToList());
        }).RequireScope(Scopes.Operate).WithTags("Operators")
            .WithSummary("Court removals with when they were received, their deadline (3 working days) and when their SubjectDelisted was published")
            .WithDescription("`overdue=true`: only those not published by their deadline — still unpublished past it, or published late — the " +
                             "earliest deadline first; otherwise the newest received first. The deadline is the end (midnight in Beijing) of the " +
                             "3rd working day after the day of receipt, by the working-day calendar (`Hub:Catalogue:CalendarFile`).")
            .Produces<List<RemovalDeadlineView>>();

        app.MapGet("/api/operator/disputes", async (bool? overdue, int? limit, IndexDatabase db, TimeProvider time, CancellationToken ct) =>
        {
            var today = new ListingClock(time).Today;
            var rows = await db.DisputesAsync(overdue ?? false, today, Math.Clamp(limit ?? 100, 1, 1000), ct);
            return Results.Ok(rows.Select(d => new DisputeDeadlineView(d.Id, d.AgencyCode, d.ListingSourceRecordId, d.SourceRecordId, d.Kind, d.SubjectId,
                d.ListingId, d.FiledOn, d.ReviewDeadline, d.OpenedAt, d.ResolvedAt, d.Outcome, d.DecidedOn,
                d.ReviewDeadline is { } due && (d.DecidedOn is { } decided ? decided > due : today > due))).ToList());
        }).RequireScope(Scopes.Operate).WithTags("Operators")
            .WithSummary("Disputes of listings (correction requests, appeals) and their review deadlines")
            .WithDescription("`overdue=true`: disputes not decided by their review deadline — still undecided after it, or decided after it — " +
                             "the earliest deadline first; otherwise the undecided ones, the nearest deadline first. A correction request's " +
                             "deadline is the catalogue's `disputeReviewDays` (15 days for the judgment-defaulter bases) after the day it was filed, " +
                             "moved to the next working day when it falls on a rest day (working-day calendar, `Hub:Catalogue:CalendarFile`); " +
                             "an appeal has none. Days are China Standard Time dates.")
            .Produces<List<DisputeDeadlineView>>();

        var keys = app.MapGroup("/api/operator/api-keys").WithTags("Operators");
        keys.MapGet("/", async (IndexDatabase db, CancellationToken ct) =>
            Results.Ok((await db.ApiKeysAsync(ct)).Select(k => new ApiKeyView(k.Id, k.Principal, k.Label, k.CreatedAt, k.CreatedBy, k.RevokedAt)).ToList()))
            .RequireScope(Scopes.Operate).WithSummary("The API keys (never the keys themselves)").Produces<List<ApiKeyView>>();
        keys.MapPost("/", async (NewApiKey request, HttpContext http, ApiKeyService service, IAuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var caller = http.Caller();
            try
            {
                var (row, key) = await service.CreateAsync(request.Principal, request.Label, caller, ct);
                // the key itself is in this answer only
                return Results.Json(new CreatedApiKey(row.Id, row.Principal, row.Label, row.CreatedAt, key), statusCode: 201);
            }
            catch (ArgumentException ex)
            {
                return Problems.BadRequest(ex.Message.Split(" (Parameter", 2)[0], "principal");
            }
        }).RequireScope(Scopes.Operate).WithSummary("Make an API key for an agency (its code) or a member of staff (role:name)")
            .WithDescription("The key is in this answer only; the Hub keeps its SHA-256 hash.")
            .Produces<CreatedApiKey>(201).ProducesProblem(400);
        keys.MapDelete("/{id}", async (string id, HttpContext http, ApiKeyService service, IAuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var caller = http.Caller();
            if (!await service.RevokeAsync(id, caller, ct)) return Problems.NotFound($"no active API key with id {id}");
            return Results.NoContent();
        }).RequireScope(Scopes.Operate).WithSummary("Revoke an API key (at once in this process, within 30 s in others)")
            .Produces(204).ProducesProblem(404);

        var audits = app.MapGroup("/api/audit").WithTags("Audit");
        audits.MapGet("/verify", async (long? anchorSeq, string? anchorHash, HttpContext http, IndexDatabase db, IAuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            if ((anchorSeq is null) != (anchorHash is null)) return Problems.BadRequest("an anchor is anchorSeq and anchorHash together", "anchorSeq");
            var result = await db.VerifyAuditAsync(ct, anchorSeq, anchorHash);
            Record(audit, http, time, "audit.verify", null, result.Intact ? $"intact, {result.Entries} entries" : $"broken at {result.FirstBrokenSeq}");
            return Results.Ok(result);
        }).RequireScope(Scopes.ReadAudit).WithSummary("Walk the audit log's hash chain and name the first entry that is not as written")
            .WithDescription("With `anchorSeq` and `anchorHash` — an entry's seq and hash noted outside the Hub earlier (e.g. the head a previous " +
                             "verification printed) — entries removed from the chain's end are found too, which the chain alone cannot show.")
            .Produces<AuditVerification>();
        audits.MapGet("/", async (string? subject, int? limit, HttpContext http, IndexDatabase db, IAuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var n = Math.Clamp(limit ?? 100, 1, 1000);
            var rows = subject is null ? await db.AuditLatestAsync(n, ct) : await db.AuditOfSubjectAsync(subject, n, ct);
            Record(audit, http, time, "audit.read", subject, $"{rows.Count} entries");
            return Results.Ok(rows);
        }).RequireScope(Scopes.ReadAudit).WithSummary("The newest audit entries, or those about one subject (who saw it, what was written about it)")
            .Produces<IReadOnlyList<AuditRow>>();

        return app;
    }

    /// <summary>What every Hub process answers: who the caller is, and where to start.</summary>
    public static WebApplication MapCallerApi(this WebApplication app)
    {
        app.MapGet("/api/whoami", (HttpContext http) =>
        {
            var c = http.Caller();
            return Results.Ok(new WhoAmI(c.Principal, c.AgencyCode, c.Role, c.Scopes.Order(StringComparer.Ordinal).ToList(), http.User.Identity?.AuthenticationType));
        }).RequireScope(null).WithTags("Callers").WithSummary("Who the Hub takes the caller for, and its scopes").Produces<WhoAmI>();

        app.MapGet("/", () => Results.Text(
            "The Hub is running. Send your API key as the X-Api-Key header (or a client certificate).\n" +
            "GET /api/subjects?uscc=|orgCode=   POST /api/subjects/search   POST /api/adapters/court/{agency}/notices   " +
            "GET /api/operator/quarantine   GET /api/operator/held-removals   GET /api/audit/verify   GET /api/whoami   GET /health/ready\n" +
            "The whole API: GET /openapi/v1.json (and /api-reference in development)\n")).ExcludeFromDescription().AllowAnonymous();
        return app;
    }

    private static void Record(IAuditTrail audit, HttpContext http, TimeProvider time, string action, string? subject, string detail)
    {
        var c = http.Caller();
        audit.Enqueue(new AuditEntry(time.GetUtcNow(), c.Principal, c.AgencyCode, action, Scopes.ReadAudit, subject, "answered", detail, "http"));
    }
}
