using Hub.Adapters.Court;
using Hub.Domain.Access;
using Hub.Host.Composition;
using Hub.Host.Security;
using Hub.Storage.Audit;
using Microsoft.Extensions.Options;

namespace Hub.Host.Api;

/// <summary>
/// The court adapter over HTTP. Body: one notice (JSON object), an array of notices, or JSON lines (a file of notices,
/// <c>Content-Type: application/x-ndjson</c>), in UTF-8 or the declared charset (GB18030, GBK). The answer lists every
/// notice with accepted / rejected / failed: 200 when some were accepted and none failed; 422 when every notice was
/// refused; 503 when the bus could not take some (send those again). A body that cannot be read is 400, one over the
/// limits 413, one that is not JSON or not in a charset the adapter reads 415. Only the court itself may post for its
/// code (<c>court-notices:publish</c>, and the route's agency is the caller's).
/// </summary>
public static class CourtAdapterApi
{
    public sealed record SubmissionAnswer(int Accepted, int Rejected, int Failed, IReadOnlyList<NoticeResult> Results);

    public static WebApplication MapCourtAdapterApi(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<CourtAdapterOptions>>().Value.Enabled) return app;
        var api = app.MapGroup("/api/adapters/court/{agency}").WithTags("Court adapter");
        Describe(api.MapPost("/notices", (string agency, HttpContext http, CourtAdapter adapter, IAuditTrail audit, TimeProvider time, IOptions<CourtAdapterOptions> o, CancellationToken ct) =>
                SubmitAsync(agency, "court-notices.submit", http, adapter.SubmitListingsAsync, audit, time, o.Value, ct)),
            "Post judgment-defaulter notices", "in the public portal's field names (`iname`, `caseCode`, `cardNum`, `businessEntity`, `regDate`, …)",
            OpenApiDescription.CourtNoticeExample());
        Describe(api.MapPost("/notices/bulk", (string agency, HttpContext http, CourtAdapter adapter, IAuditTrail audit, TimeProvider time, IOptions<CourtAdapterOptions> o, CancellationToken ct) =>
                SubmitAsync(agency, "court-notices.submit-bulk", http, adapter.SubmitListingsBulkAsync, audit, time, o.Value, ct)),
            "Post judgment-defaulter notices in bulk",
            "as `/notices`; for large transfers (`hub load`): the readable notices go to the bus as batch messages of 500 " +
            "(JudgmentDefaulterListedBatch), each applied record by record exactly as a notice posted to `/notices`, and a notice is " +
            "`accepted` once the broker confirmed its batch",
            OpenApiDescription.CourtNoticeExample());
        Describe(api.MapPost("/removals", (string agency, HttpContext http, CourtAdapter adapter, IAuditTrail audit, TimeProvider time, IOptions<CourtAdapterOptions> o, CancellationToken ct) =>
                SubmitAsync(agency, "court-removals.submit", http, adapter.SubmitRemovalsAsync, audit, time, o.Value, ct)),
            "Post removal notices", "(`id`, `listingId` — the `id` the listing was posted under —, `legalBasis`, `reason`, `effectiveDate`)",
            OpenApiDescription.RemovalExample());
        Describe(api.MapPost("/disputes", (string agency, HttpContext http, CourtAdapter adapter, IAuditTrail audit, TimeProvider time, IOptions<CourtAdapterOptions> o, CancellationToken ct) =>
                SubmitAsync(agency, "court-disputes.submit", http, adapter.SubmitDisputesAsync, audit, time, o.Value, ct)),
            "Post disputes of listings (correction requests, appeals)",
            "(`id`, `listingId` — the `id` the listing was posted under —, `legalBasis`, `kind` `CorrectionRequest` (default) or `Appeal`, `filedOn`); " +
            "the listing is marked disputed to every subscriber until the decision",
            OpenApiDescription.DisputeExample());
        Describe(api.MapPost("/dispute-decisions", (string agency, HttpContext http, CourtAdapter adapter, IAuditTrail audit, TimeProvider time, IOptions<CourtAdapterOptions> o, CancellationToken ct) =>
                SubmitAsync(agency, "court-dispute-decisions.submit", http, adapter.SubmitDisputeDecisionsAsync, audit, time, o.Value, ct)),
            "Post decisions of disputes",
            "(`id`, `listingId`, `disputeId` — the `id` the dispute was posted under —, `legalBasis`, `outcome` `Upheld`, `Corrected` or `Revoked`, `decidedOn`); " +
            "`Revoked` annuls the listing",
            OpenApiDescription.DisputeDecisionExample());
        return app;
    }

    private static async Task<IResult> SubmitAsync(string agency, string action, HttpContext http,
        Func<string, IReadOnlyList<BodyItem>, CancellationToken, Task<IReadOnlyList<NoticeResult>>> submit, IAuditTrail audit, TimeProvider time,
        CourtAdapterOptions options, CancellationToken ct)
    {
        var caller = http.Caller();
        var request = http.Request;
        // refused before a byte is parsed: by the declared length, or while reading when none is declared
        if (request.ContentLength > options.MaxRequestBytes)
            return Refused(TooLarge(options, $"{request.ContentLength:N0} bytes"));
        BodyRead read;
        try
        {
            await using var body = new LimitedReadStream(request.Body, options.MaxRequestBytes);
            read = await NoticeBody.ReadAsync(body, request.ContentType, ct);
        }
        catch (BodyTooLargeException)
        {
            return Refused(TooLarge(options, "more"));
        }
        if (read.Problem == BodyProblem.UnsupportedMediaType) return Refused(Problems.UnsupportedMediaType(read.Error!));
        if (read.Error is not null) return Refused(Problems.BadRequest(read.Error));
        var items = read.Items;
        if (items.Count == 0) return Refused(Problems.BadRequest("the body holds no notice"));
        if (items.Count > options.MaxNoticesPerRequest)
            return Refused(Problems.TooLarge($"at most {options.MaxNoticesPerRequest:N0} notices per request; this body holds {items.Count:N0}: send it in parts"));

        var code = caller.AgencyCode!;
        var results = await submit(code, items, ct);
        var answer = new SubmissionAnswer(
            results.Count(r => r.Status == "accepted"), results.Count(r => r.Status == "rejected"), results.Count(r => r.Status == "failed"), results);
        audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller.Principal, code, action, Scopes.PublishCourtNotices, null, "answered",
            $"{answer.Accepted} accepted, {answer.Rejected} rejected, {answer.Failed} failed of {items.Count} for {agency}", "http"));
        if (answer.Failed > 0)
            return Problems.Make(503, "bus-unavailable", "Some notices were not accepted",
                $"the message bus did not confirm {answer.Failed} of {items.Count} notices: send those again (the others are accepted)", Extensions(answer));
        if (answer.Accepted == 0)
            return Problems.Make(422, "every-notice-refused", "No notice could be read",
                $"all {items.Count} notices were refused; each result names the field", Extensions(answer));
        return Results.Json(answer);

        IResult Refused(IResult problem)
        {
            audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, action, Scopes.PublishCourtNotices, null, "refused",
                $"{(problem as IStatusCodeHttpResult)?.StatusCode} for {agency}", "http"));
            return problem;
        }
    }

    private static void Describe(RouteHandlerBuilder endpoint, string summary, string fields, System.Text.Json.Nodes.JsonNode example) => endpoint
        .RequireScope(Scopes.PublishCourtNotices, ownAgency: "agency")
        .WithSummary(summary)
        .WithDescription($"Body: one notice (a JSON object), an array of notices, or JSON lines (Content-Type: application/x-ndjson), {fields}; " +
                         "UTF-8, or the charset the Content-Type declares (GB18030, GBK). At most 10 MB and 5,000 notices a request. The answer " +
                         "names every notice by its position (from 1: the n-th notice, or the line) and its `id`: `accepted` (the bus has it; the " +
                         "index has it a moment later), `rejected` (unreadable, the field named; not sent) or `failed` (send it again). A notice " +
                         "that is readable but breaks a rule (a wrong check character, an unknown legal basis) is accepted with a warning and " +
                         "answered later by a RecordRejected event; it waits in quarantine.")
        .Accepts<System.Text.Json.Nodes.JsonArray>("application/json", "application/x-ndjson")
        .Produces<SubmissionAnswer>()
        .ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503)
        .AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.RequestBody?.Content?.TryGetValue("application/json", out var json) == true) json.Example = example;
            return Task.CompletedTask;
        });

    private static Dictionary<string, object?> Extensions(SubmissionAnswer a) => new()
    {
        ["accepted"] = a.Accepted, ["rejected"] = a.Rejected, ["failed"] = a.Failed, ["results"] = a.Results,
    };

    private static IResult TooLarge(CourtAdapterOptions o, string size) =>
        Problems.TooLarge($"the body is {size} bytes; at most {o.MaxRequestBytes:N0} bytes per request: send it in parts");
}

/// <summary>Thrown by <see cref="LimitedReadStream"/> past its limit.</summary>
public sealed class BodyTooLargeException() : IOException("the request body is over the limit");

/// <summary>Reads at most <c>limit</c> bytes and throws past them, so an over-long body without Content-Length is refused
/// as it streams in rather than after it was buffered whole.</summary>
internal sealed class LimitedReadStream(Stream inner, long limit) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int n)
    {
        _read += n;
        if (_read > limit) throw new BodyTooLargeException();
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
