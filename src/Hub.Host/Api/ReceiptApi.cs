using System.Globalization;
using System.Text.Json;
using Hub.Domain.Access;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Storage.Audit;
using Microsoft.Extensions.Options;

namespace Hub.Host.Api;

/// <summary>The listings whose end the subscriber acknowledges: it has stopped applying them. Listing ids as the
/// <c>SubjectDelisted</c> events carry them (<c>listingId</c>), 1 to 1,000.</summary>
public sealed record ReceiptRequest(IReadOnlyList<string?>? ListingIds);

/// <summary>A listing id of the request that cannot be read: the field (<c>listingIds[i]</c>, i from 0) and why.</summary>
public sealed record InvalidListingId(string Field, string Reason);

/// <summary>A receipt the caller owed, as it stands after the acknowledgement: <c>late</c> when it was acknowledged after
/// its deadline, <c>alreadyAcknowledged</c> when an earlier request acknowledged it (its first time is kept).</summary>
public sealed record AcknowledgedReceiptView(string ListingId, string EventId, string SubjectId, string Status, DateTimeOffset PublishedAt,
    DateTimeOffset Deadline, DateTimeOffset AcknowledgedAt, bool Late, bool AlreadyAcknowledged);

/// <summary>The answer to an acknowledgement: each receipt acknowledged, in the order asked, and the listing ids the
/// caller owes no receipt for (<c>unknown</c>).</summary>
public sealed record ReceiptAcknowledgementView(string Agency, int Acknowledged, int Late, int AlreadyAcknowledged,
    IReadOnlyList<AcknowledgedReceiptView> Receipts, IReadOnlyList<string> Unknown);

/// <summary>A removal receipt in the operators' report: <c>overdue</c> when it was not acknowledged by its deadline.</summary>
public sealed record RemovalReceiptView(string Agency, string ListingId, string EventId, string SubjectId, string Status, DateTimeOffset PublishedAt,
    DateTimeOffset Deadline, DateTimeOffset? AcknowledgedAt, bool Overdue);

/// <summary>An agency in the report: how many receipts it has there (before the limit) and the earliest deadline among them.</summary>
public sealed record RemovalReceiptAgencyView(string Agency, long Receipts, DateTimeOffset EarliestDeadline);

/// <summary>The removal-receipts report: per agency, then the receipts, the earliest deadline first (at most <c>limit</c>).</summary>
public sealed record RemovalReceiptReportView(DateTimeOffset AsOf, bool OverdueOnly, IReadOnlyList<RemovalReceiptAgencyView> Agencies,
    IReadOnlyList<RemovalReceiptView> Receipts);

/// <summary>
/// Removal receipts: a subscriber that received a listing acknowledges that it has stopped applying it once the listing
/// ended (removed, revoked, repaired or expired), within 3 working days of the end's publication; operators see who
/// has not. The receipts themselves are recorded by the outbox relay (<see cref="Hub.Aggregator.Outbox.RemovalReceipts"/>).
/// </summary>
public static class ReceiptApi
{
    /// <summary>Most listing ids one acknowledgement may carry.</summary>
    public const int MaxListingIds = 1_000;

    public const string Action = "receipts.acknowledge";

    public static WebApplication MapReceiptApi(this WebApplication app)
    {
        app.MapPost("/api/subscriptions/{agency}/receipts", AcknowledgeAsync).RequireScope(Scopes.Subscribe, ownAgency: "agency").WithTags("Subscriptions")
            .WithSummary("Acknowledge ended listings: the subscriber has stopped applying them (removal receipts)")
            .WithDescription("Body: `listingIds`, 1 to 1,000 listing ids as the `SubjectDelisted` events carry them (`listingId`). When a listing " +
                             "the subscriber received ends (`SubjectDelisted` with status removed, revoked, repaired or expired — not superseded: " +
                             "a correction comes with its own `SubjectListed`), the Hub expects this acknowledgement by the end (midnight in " +
                             "Beijing) of the 3rd working day after the day the end was published (working-day calendar). The answer lists each " +
                             "receipt acknowledged (`late` after its deadline; `alreadyAcknowledged` when an earlier request did it: " +
                             "acknowledging again is harmless and keeps the first time) and the ids the caller owes no receipt for (`unknown`). " +
                             "400 names the field (`listingIds`, or `listingIds[i]` with every unreadable id in `invalid`); 404 when the caller " +
                             "owes a receipt for none of them (`unknown` lists them). Audited: one entry per receipt acknowledged, on its subject, " +
                             "and one for the request.")
            .Accepts<ReceiptRequest>("application/json")
            .Produces<ReceiptAcknowledgementView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(415);

        app.MapGet("/api/operator/removal-receipts", async (bool? overdue, string? agency, int? limit, IndexDatabase db, TimeProvider time, CancellationToken ct) =>
        {
            var now = time.GetUtcNow();
            var code = string.IsNullOrWhiteSpace(agency) ? null : agency.Trim().ToUpperInvariant();
            var (agencies, rows) = await db.RemovalReceiptsAsync(overdue ?? false, code, Math.Clamp(limit ?? 100, 1, 1000), ct);
            return Results.Ok(new RemovalReceiptReportView(now, overdue ?? false,
                agencies.Select(a => new RemovalReceiptAgencyView(a.AgencyCode, a.Receipts, a.EarliestDeadline)).ToList(),
                rows.Select(r => new RemovalReceiptView(r.AgencyCode, r.ListingId, r.EventId, r.SubjectId, r.Status, r.PublishedAt, r.Deadline, r.AcknowledgedAt,
                    r.AcknowledgedAt is { } at ? at > r.Deadline : now > r.Deadline)).ToList()));
        }).RequireScope(Scopes.Operate).WithTags("Operators")
            .WithSummary("Removal receipts subscribers owe for ended listings they received, per agency, the earliest deadline first")
            .WithDescription("`overdue=true`: the receipts not acknowledged by their deadline — still unacknowledged past it, or acknowledged " +
                             "late; otherwise those not acknowledged yet. `agency` narrows to one subscriber; `limit` (default 100, at most 1000) " +
                             "cuts the list of receipts, not the per-agency counts. A receipt is owed by every subscriber whose subscription " +
                             "received a listing, once the listing's end (removed, revoked, repaired or expired) was published; it is due by the " +
                             "end (midnight in Beijing) of the 3rd working day after the day of publication, by the working-day calendar " +
                             "(`Hub:Catalogue:CalendarFile`).")
            .Produces<RemovalReceiptReportView>();
        return app;
    }

    private static async Task<IResult> AcknowledgeAsync(string agency, HttpContext http, IndexDatabase db, IAuditTrail audit, TimeProvider time,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct)
    {
        var caller = http.Caller();
        var code = caller.AgencyCode!; // the route names the caller's own agency (RequireScope)
        var (ids, refusal) = await ReadAsync(http, json.Value.SerializerOptions, ct);
        if (refusal is not null)
        {
            audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller.Principal, code, Action, Scopes.Subscribe, null, "refused", refusal.Value.Detail, "http"));
            return refusal.Value.Answer;
        }

        var outcome = await db.AcknowledgeReceiptsAsync(code, ids!, r => Entries(r, ids!, caller, time), ct);
        var byId = outcome.Receipts.ToDictionary(r => r.ListingId, StringComparer.Ordinal);
        var unknown = ids!.Where(id => !byId.ContainsKey(id)).ToList();
        if (byId.Count == 0)
            return Problems.Make(404, "not-found", "Not found", $"{code} owes no removal receipt for any of the {ids!.Count:N0} listing id(s) given",
                new Dictionary<string, object?> { ["field"] = "listingIds", ["unknown"] = unknown });
        var receipts = ids!.Where(byId.ContainsKey).Select(id => byId[id]).Select(r => new AcknowledgedReceiptView(r.ListingId, r.EventId, r.SubjectId, r.Status,
            r.PublishedAt, r.Deadline, r.AcknowledgedAt!.Value, r.AcknowledgedAt > r.Deadline, !outcome.NewlyAcknowledged.Contains(r.ListingId))).ToList();
        return Results.Ok(new ReceiptAcknowledgementView(code, receipts.Count(r => !r.AlreadyAcknowledged), receipts.Count(r => !r.AlreadyAcknowledged && r.Late),
            receipts.Count(r => r.AlreadyAcknowledged), receipts, unknown));
    }

    /// <summary>What goes on the audit log in the acknowledgement's transaction: one entry per receipt acknowledged now, on
    /// the subject its listing is about, and one for the request.</summary>
    private static List<AuditEntry> Entries(ReceiptAcknowledgement outcome, IReadOnlyList<string> ids, Caller caller, TimeProvider time)
    {
        var at = time.GetUtcNow();
        var entries = new List<AuditEntry>();
        var late = 0;
        foreach (var r in outcome.Receipts.Where(r => outcome.NewlyAcknowledged.Contains(r.ListingId)))
        {
            var isLate = r.AcknowledgedAt > r.Deadline;
            if (isLate) late++;
            entries.Add(new AuditEntry(at, caller.Principal, caller.AgencyCode, Action, Scopes.Subscribe, r.SubjectId, isLate ? "acknowledged-late" : "acknowledged",
                $"listing {r.ListingId} ({r.Status}), published {Time(r.PublishedAt)}, due {Time(r.Deadline)}", "http"));
        }
        var newly = outcome.NewlyAcknowledged.Count;
        var unknown = ids.Count - outcome.Receipts.Count;
        entries.Add(new AuditEntry(at, caller.Principal, caller.AgencyCode, Action, Scopes.Subscribe, null, outcome.Receipts.Count == 0 ? "not-found" : "acknowledged",
            $"{ids.Count} listing id(s): {newly} acknowledged now ({late} late), {outcome.Receipts.Count - newly} before, {unknown} owed no receipt", "http"));
        return entries;
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The listing ids of the body, normalised (lower case, repeats dropped, first order kept); or the refusal, the field named.</summary>
    private static async Task<(IReadOnlyList<string>? Ids, (IResult Answer, string Detail)? Refusal)> ReadAsync(HttpContext http, JsonSerializerOptions options,
        CancellationToken ct)
    {
        if (!http.Request.HasJsonContentType())
        {
            var detail = $"this endpoint reads application/json, not {http.Request.ContentType ?? "a body without Content-Type"}";
            return (null, (Problems.UnsupportedMediaType(detail), detail));
        }
        ReceiptRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<ReceiptRequest>(http.Request.Body, options, ct);
        }
        catch (JsonException ex)
        {
            var detail = $"the body is not the JSON this endpoint reads (at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): send " +
                         "{\"listingIds\": [\"…\"]} (see /openapi/v1.json)";
            return (null, Bad(detail, ex.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null));
        }
        var given = body?.ListingIds;
        if (given is null || given.Count == 0) return (null, Bad($"listingIds: give 1 to {MaxListingIds:N0} listing ids", "listingIds"));
        if (given.Count > MaxListingIds)
            return (null, Bad($"listingIds: at most {MaxListingIds:N0} listing ids in one request, this has {given.Count:N0}; send the rest in another", "listingIds"));

        var ids = new List<string>(given.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var invalid = new List<InvalidListingId>();
        for (var i = 0; i < given.Count; i++)
        {
            if (given[i] is { } text && Guid.TryParseExact(text.Trim(), "N", out var id))
            {
                if (seen.Add(id.ToString("N"))) ids.Add(id.ToString("N"));
            }
            else invalid.Add(new InvalidListingId($"listingIds[{i}]", $"listingIds[{i}]: a listing id is 32 hexadecimal characters, as the Hub's events carry it"));
        }
        if (invalid.Count > 0)
        {
            const int shown = 5;
            var detail = $"{invalid.Count:N0} of {given.Count:N0} listing ids cannot be read: " + string.Join("; ", invalid.Take(shown).Select(x => x.Field))
                         + (invalid.Count > shown ? $" and {invalid.Count - shown:N0} more (see invalid)" : "") + ": a listing id is 32 hexadecimal characters, " +
                         "as the Hub's events carry it";
            return (null, (Problems.Make(400, "invalid-request", "The request cannot be read", detail,
                new Dictionary<string, object?> { ["field"] = invalid[0].Field, ["invalid"] = invalid }), detail));
        }
        return (ids, null);

        static (IResult, string) Bad(string detail, string? field) => (Problems.BadRequest(detail, field), detail);
    }
}
