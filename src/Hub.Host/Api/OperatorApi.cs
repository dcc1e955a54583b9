using Hub.Storage;

namespace Hub.Host.Api;

/// <summary>What operators need first: the quarantine, newest first, with reasons.</summary>
public static class OperatorApi
{
    public static WebApplication MapOperatorApi(this WebApplication app)
    {
        app.MapGet("/api/operator/quarantine", async (string? agency, int? limit, IndexDatabase db, CancellationToken ct) =>
        {
            var rows = await db.QuarantineAsync(agency, Math.Clamp(limit ?? 100, 1, 1000), ct);
            // payloads stay in the database: they hold whole records about people
            return Results.Ok(rows.Select(q => new { q.Id, q.AgencyCode, q.SourceRecordId, q.Revision, q.Kind, q.ReasonCode, q.Reason, q.MessageId, q.ReceivedAt }));
        });
        app.MapGet("/", () => Results.Text(
            "The Hub is running.\nGET /api/subjects?uscc=|ric=|orgCode=   POST /api/adapters/court/{agency}/notices   GET /api/operator/quarantine   GET /health/ready\n"));
        return app;
    }
}
