using Hub.Adapters.Court;
using Hub.Domain.Access;
using Hub.Host.Composition;
using Hub.Host.Security;
using Hub.Storage.Audit;
using Microsoft.Extensions.Options;

namespace Hub.Host.Api;

/// <summary>
/// The court adapter over HTTP. Body: one notice (JSON object), an array of notices, or JSON lines (a file of notices,
/// <c>Content-Type: application/x-ndjson</c>). The answer lists every notice with accepted / rejected / failed.
/// 200 when nothing failed; 503 when the broker could not take some (send those again). Only the court itself may
/// post for its code (<c>court-notices:publish</c>, and the route's agency is the caller's).
/// </summary>
public static class CourtAdapterApi
{
    public sealed record SubmissionAnswer(int Accepted, int Rejected, int Failed, IReadOnlyList<NoticeResult> Results);

    public static WebApplication MapCourtAdapterApi(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<CourtAdapterOptions>>().Value.Enabled) return app;
        var api = app.MapGroup("/api/adapters/court/{agency}");
        api.MapPost("/notices", (string agency, HttpContext http, CourtAdapter adapter, AuditTrail audit, TimeProvider time, IOptions<CourtAdapterOptions> o, CancellationToken ct) =>
                SubmitAsync(agency, "court-notices.submit", http, adapter.SubmitListingsAsync, audit, time, o.Value, ct))
            .RequireScope(Scopes.PublishCourtNotices, ownAgency: "agency");
        api.MapPost("/removals", (string agency, HttpContext http, CourtAdapter adapter, AuditTrail audit, TimeProvider time, IOptions<CourtAdapterOptions> o, CancellationToken ct) =>
                SubmitAsync(agency, "court-removals.submit", http, adapter.SubmitRemovalsAsync, audit, time, o.Value, ct))
            .RequireScope(Scopes.PublishCourtNotices, ownAgency: "agency");
        return app;
    }

    private static async Task<IResult> SubmitAsync(string agency, string action, HttpContext http,
        Func<string, IReadOnlyList<BodyItem>, CancellationToken, Task<IReadOnlyList<NoticeResult>>> submit, AuditTrail audit, TimeProvider time,
        CourtAdapterOptions options, CancellationToken ct)
    {
        var caller = http.Caller();
        var request = http.Request;
        // refused before a byte is parsed: by the declared length, or while reading when none is declared
        if (request.ContentLength > options.MaxRequestBytes)
            return Refused(TooLarge(options, $"{request.ContentLength:N0} bytes"));
        var jsonLines = request.ContentType?.Contains("ndjson", StringComparison.OrdinalIgnoreCase) == true
                        || request.ContentType?.Contains("jsonl", StringComparison.OrdinalIgnoreCase) == true;
        IReadOnlyList<BodyItem> items;
        string? error;
        try
        {
            await using var body = new LimitedReadStream(request.Body, options.MaxRequestBytes);
            (items, error) = await NoticeBody.ReadAsync(body, jsonLines, ct);
        }
        catch (BodyTooLargeException)
        {
            return Refused(TooLarge(options, "more"));
        }
        if (error is not null) return Refused(Problems.BadRequest(error));
        if (items.Count == 0) return Refused(Problems.BadRequest("the body holds no notice"));
        if (items.Count > options.MaxNoticesPerRequest)
            return Refused(Problems.TooLarge($"at most {options.MaxNoticesPerRequest:N0} notices per request; this body holds {items.Count:N0}: send it in parts"));

        var code = caller.AgencyCode!;
        var results = await submit(code, items, ct);
        var answer = new SubmissionAnswer(
            results.Count(r => r.Status == "accepted"), results.Count(r => r.Status == "rejected"), results.Count(r => r.Status == "failed"), results);
        audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller.Principal, code, action, Scopes.PublishCourtNotices, null, "answered",
            $"{answer.Accepted} accepted, {answer.Rejected} rejected, {answer.Failed} failed of {items.Count} for {agency}", "http"));
        return Results.Json(answer, statusCode: answer.Failed > 0 ? 503 : 200);

        IResult Refused(IResult problem)
        {
            audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, action, Scopes.PublishCourtNotices, null, "refused",
                $"{(problem as IStatusCodeHttpResult)?.StatusCode} for {agency}", "http"));
            return problem;
        }
    }

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
