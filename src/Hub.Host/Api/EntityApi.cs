using System.Text.Json;
using Hub.Aggregator.Applying;
using Hub.Aggregator.Outbox;
using Hub.Contracts;
using Hub.Domain.Access;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Storage.Audit;

namespace Hub.Host.Api;

/// <summary>One side of a review pair, as an operator sees it (ID numbers masked unless the caller holds ids:read-full).</summary>
public sealed record ReviewSubjectView(string HubId, string Kind, string DisplayName, IReadOnlyList<IdentifierView> Identifiers, int Listings);

/// <summary>A pair of subjects that may be one: score, the evidence with its weights, and the judgement if made.</summary>
public sealed record ReviewView(string Id, ReviewSubjectView Known, ReviewSubjectView New, double Score, JsonElement Evidence, string Status,
    DateTimeOffset CreatedAt, DateTimeOffset? DecidedAt, string? DecidedBy, string? Note);

public sealed record ReviewDecision(bool Same, string? Note);

public sealed record MergeRequest(string MergedHubId);

public sealed record MergeView(string SurvivingHubId, string MergedHubId, IReadOnlyList<string> ListingIds);

/// <summary>The entity index's review queue (pairs the rules put in the grey zone) and merging and splitting subjects.</summary>
public static class EntityApi
{
    public static WebApplication MapEntityApi(this WebApplication app)
    {
        var reviews = app.MapGroup("/api/operator/reviews").WithTags("Entity index");
        reviews.MapGet("/", async (string? status, int? limit, HttpContext http, IndexDatabase db, IAuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var caller = http.Caller();
            var rows = await db.ReviewsAsync(status ?? "pending", Math.Clamp(limit ?? 50, 1, 500), ct);
            var views = new List<ReviewView>(rows.Count);
            foreach (var r in rows)
                if (await View(db, r, caller, ct) is { } v) views.Add(v);
            // people's names and (masked) numbers shown: on record
            audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "reviews.list", Scopes.Operate, null, "disclosed",
                $"{views.Count} pairs ({status ?? "pending"})", "http"));
            return Results.Ok(views);
        }).RequireScope(Scopes.Operate)
            .WithSummary("Pairs of subjects that may be one, with the score and the evidence behind it")
            .WithDescription("`status`: `pending` (default), `same` or `not-same`. A pair is queued when a new subject's name and birth date match a " +
                             "known one and nothing stronger decides (the rules never link on name evidence alone).")
            .Produces<List<ReviewView>>();

        reviews.MapPost("/{id}/decision", async (string id, ReviewDecision decision, HttpContext http, IndexDatabase db, TimeProvider time, OutboxSignal signal,
            CancellationToken ct) =>
        {
            var caller = http.Caller();
            var (decided, merged) = await db.DecideReviewAsync(id, decision.Same, caller.Principal, decision.Note,
                Entry(caller, time, "reviews.decide", decision.Same ? "same" : "not-same", $"review {id}"), m => MergedEvent(m, "review", time), ct);
            if (!decided) return Problems.Conflict($"review {id} is not pending (or does not exist): take the judgement back first (POST …/undo)");
            signal.Notify();
            return Results.Ok(merged is null ? null : new MergeView(merged.IntoId, merged.MergedId, merged.Listings));
        }).RequireScope(Scopes.Operate)
            .WithSummary("Judge a pair: same (the new subject is merged into the known one) or not the same")
            .WithDescription("The judgement is kept: a merged subject's keys resolve to the survivor from now on, and a later record with the same name " +
                             "and birth date and nothing stronger goes to the subject an operator judged it to be. Audited; a merge publishes SubjectsMerged.")
            .Produces<MergeView>().ProducesProblem(409);

        reviews.MapPost("/{id}/undo", async (string id, HttpContext http, IndexDatabase db, TimeProvider time, OutboxSignal signal, CancellationToken ct) =>
        {
            var caller = http.Caller();
            var (undone, split) = await db.UndoReviewAsync(id, caller.Principal, Entry(caller, time, "reviews.undo", "undone", $"review {id}"),
                s => SplitEvent(s, time), ct);
            if (!undone) return Problems.Conflict($"review {id} has no judgement to take back (or does not exist)");
            signal.Notify();
            return Results.Ok(split is null ? null : new MergeView(split.IntoId, split.MergedId, split.Listings));
        }).RequireScope(Scopes.Operate)
            .WithSummary("Take a judgement back: a merge it made is split (SubjectSplit), and the pair is pending again")
            .Produces<MergeView>().ProducesProblem(409);

        var subjects = app.MapGroup("/api/operator/subjects").WithTags("Entity index");
        subjects.MapPost("/{hubId}/merge", async (string hubId, MergeRequest request, HttpContext http, IndexDatabase db, TimeProvider time, OutboxSignal signal,
            CancellationToken ct) =>
        {
            var caller = http.Caller();
            var merged = await db.MergeAsync(hubId, request.MergedHubId, caller.Principal,
                Entry(caller, time, "subjects.merge", "merged", $"{request.MergedHubId} into {hubId}"), m => MergedEvent(m, "operator", time), ct);
            if (merged is null)
                return Problems.Conflict("cannot merge: a subject is unknown, already merged away, the same one, or of another kind");
            signal.Notify();
            return Results.Ok(new MergeView(merged.IntoId, merged.MergedId, merged.Listings));
        }).RequireScope(Scopes.Operate)
            .WithSummary("Merge a subject into this one (the one in the route survives; the other's id resolves to it)")
            .Produces<MergeView>().ProducesProblem(409);

        subjects.MapPost("/{hubId}/split", async (string hubId, HttpContext http, IndexDatabase db, TimeProvider time, OutboxSignal signal, CancellationToken ct) =>
        {
            var caller = http.Caller();
            var split = await db.SplitAsync(hubId, Entry(caller, time, "subjects.split", "split", $"{hubId} split out"), s => SplitEvent(s, time), ct);
            if (split is null) return Problems.NotFound($"subject {hubId} is not merged into another");
            signal.Notify();
            return Results.Ok(new MergeView(split.IntoId, split.MergedId, split.Listings));
        }).RequireScope(Scopes.Operate)
            .WithSummary("Split a merged subject out again, with the listings it had (SubjectSplit)")
            .Produces<MergeView>().ProducesProblem(404);
        return app;
    }

    private static AuditEntry Entry(Caller caller, TimeProvider time, string action, string outcome, string detail) =>
        new(time.GetUtcNow(), caller.Principal, caller.AgencyCode, action, Scopes.Operate, null, outcome, detail, "http");

    private static OutboxRow MergedEvent(MergeOutcome m, string reason, TimeProvider time) => Outbox(new SubjectsMerged
    {
        EventId = Guid.CreateVersion7(time.GetUtcNow()).ToString("N"), SurvivingHubSubjectId = m.IntoId, MergedHubSubjectId = m.MergedId, ListingIds = m.Listings,
        Reason = reason, RecordedAt = time.GetUtcNow(),
    }, m.IntoId, time);

    private static OutboxRow SplitEvent(MergeOutcome m, TimeProvider time) => Outbox(new SubjectSplit
    {
        EventId = Guid.CreateVersion7(time.GetUtcNow()).ToString("N"), FromHubSubjectId = m.IntoId, RestoredHubSubjectId = m.MergedId, ListingIds = m.Listings,
        RecordedAt = time.GetUtcNow(),
    }, m.IntoId, time);

    private static OutboxRow Outbox<T>(T message, string orderingKey, TimeProvider time) => new()
    {
        MessageType = typeof(T).Name, Payload = JsonSerializer.Serialize(message, Incoming.Json), CreatedAt = time.GetUtcNow(), OrderingKey = orderingKey,
    };

    private static async Task<ReviewView?> View(IndexDatabase db, MatchReviewRow r, Caller caller, CancellationToken ct)
    {
        var a = await db.SubjectDetailAsync(r.SubjectA, ct);
        var b = await db.SubjectDetailAsync(r.SubjectB, ct);
        if (a is null || b is null) return null;
        return new ReviewView(r.Id, Side(a, caller), Side(b, caller), r.Score, JsonDocument.Parse(r.Evidence).RootElement.Clone(), r.Status, r.CreatedAt,
            r.DecidedAt, r.DecidedBy, r.Note);

        static ReviewSubjectView Side(SubjectDetail d, Caller caller) => new(d.Subject.Id, d.Subject.Kind, d.Subject.DisplayName,
            SubjectApi.IdentifierViews(d.Identifiers, caller), d.Listings.Count);
    }
}
