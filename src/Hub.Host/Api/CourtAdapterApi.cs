using Hub.Adapters.Court;
using Hub.Host.Composition;
using Microsoft.Extensions.Options;

namespace Hub.Host.Api;

/// <summary>
/// The court adapter over HTTP. Body: one notice (JSON object), an array of notices, or JSON lines (a file of notices,
/// <c>Content-Type: application/x-ndjson</c>). The answer lists every notice with accepted / rejected / failed.
/// 200 when nothing failed; 503 when the broker could not take some (send those again).
/// </summary>
public static class CourtAdapterApi
{
    public sealed record SubmissionAnswer(int Accepted, int Rejected, int Failed, IReadOnlyList<NoticeResult> Results);

    public static WebApplication MapCourtAdapterApi(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<CourtAdapterOptions>>().Value.Enabled) return app;
        var api = app.MapGroup("/api/adapters/court/{agency}");
        api.MapPost("/notices", (string agency, HttpRequest request, CourtAdapter adapter, CancellationToken ct) =>
            SubmitAsync(agency, request, adapter, adapter.SubmitListingsAsync, ct));
        api.MapPost("/removals", (string agency, HttpRequest request, CourtAdapter adapter, CancellationToken ct) =>
            SubmitAsync(agency, request, adapter, adapter.SubmitRemovalsAsync, ct));
        return app;
    }

    private static async Task<IResult> SubmitAsync(string agency, HttpRequest request, CourtAdapter adapter,
        Func<string, IReadOnlyList<BodyItem>, CancellationToken, Task<IReadOnlyList<NoticeResult>>> submit, CancellationToken ct)
    {
        if (!adapter.IsCourt(agency)) return SubjectApi.Problem(404, $"agency '{agency}' is not registered with the Hub as a court");
        var jsonLines = request.ContentType?.Contains("ndjson", StringComparison.OrdinalIgnoreCase) == true
                        || request.ContentType?.Contains("jsonl", StringComparison.OrdinalIgnoreCase) == true;
        var (items, error) = await NoticeBody.ReadAsync(request.Body, jsonLines, ct);
        if (error is not null) return SubjectApi.Problem(400, error);
        if (items.Count == 0) return SubjectApi.Problem(400, "the body holds no notice");
        var results = await submit(agency, items, ct);
        var answer = new SubmissionAnswer(
            results.Count(r => r.Status == "accepted"), results.Count(r => r.Status == "rejected"), results.Count(r => r.Status == "failed"), results);
        return Results.Json(answer, statusCode: answer.Failed > 0 ? 503 : 200);
    }
}
