using System.Globalization;
using Hub.Aggregator;
using Hub.Aggregator.Quality;
using Hub.Domain.Lifecycle;
using Hub.Domain.Access;
using Hub.Host.OperatorConsole;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Storage.Audit;
using Microsoft.Extensions.Options;

namespace Hub.Host.Api;

/// <summary>
/// What the operator console (<c>/console</c>) reads and does, scope <c>operate</c>: queue figures beside the outbox
/// backlog, failed messages grouped by cause with replay and discard, quarantine grouped by reason and agency with
/// release and final rejection, and the heartbeats of the Hub's processes. Figures (counts, groups) are not audited;
/// lists that name records are (<c>failed.read</c>, <c>quarantine.read</c>), and so is every action.
/// </summary>
public static class ConsoleApi
{
    public sealed record OutboxView(long Pending, DateTimeOffset? OldestPendingAt, double? OldestPendingAgeSeconds);
    public sealed record QueuesView(QueueReport Queues, OutboxView Outbox, long QuarantineWaiting);

    public sealed record FailedGroupView(string Id, string Queue, string ExceptionType, string Cause, int Count, int Repeats,
        DateTimeOffset? FirstFailedAt, DateTimeOffset? LastFailedAt, IReadOnlyList<string> Agencies);
    /// <summary>One error queue: <see cref="Read"/> of its <see cref="InQueue"/> messages were grouped, from its <see cref="Source"/>
    /// (<c>index</c> or <c>scan</c>); its messages are replayed to <see cref="ReplaysTo"/>.</summary>
    public sealed record FailedQueueView(string Queue, string ReplaysTo, long InQueue, long Read, string? Source);
    /// <summary>Every error queue's groups in one list (each names its queue); <see cref="InQueue"/> and <see cref="Read"/> summed
    /// over <see cref="Queues"/>; <see cref="Source"/> <c>index</c> when every queue was grouped from the index, else <c>scan</c>.</summary>
    public sealed record FailedView(bool Available, string? Problem, IReadOnlyList<FailedQueueView> Queues, long InQueue, long Read,
        IReadOnlyList<FailedGroupView> Groups, string? Source = null);
    public sealed record FailedMessageView(string Id, string GroupId, string Queue, string? MessageType, string ExceptionType, string Reason, string? AgencyCode,
        string? PublisherUser, string? SourceRecordId, int? Revision, int? Records, DateTimeOffset? FailedAt, int Replays, bool Repeat);
    public sealed record FailedActionView(string Action, int Count, IReadOnlyList<string> MessageIds);
    public sealed record DiscardRequest(string? Reason);

    public sealed record QuarantineGroupView(string ReasonCode, string? AgencyCode, long Count, DateTimeOffset OldestAt, DateTimeOffset NewestAt);
    public sealed record QuarantineEntryView(string Id, string? AgencyCode, string? SourceRecordId, int? Revision, string Kind, string ReasonCode,
        string Reason, DateTimeOffset ReceivedAt, string? Decision, DateTimeOffset? DecidedAt, string? DecidedBy, string? Note, string? Outcome);
    public sealed record QuarantineView(long Waiting, IReadOnlyList<QuarantineGroupView> Groups);
    public sealed record DecisionView(string Id, string Outcome, string Detail);
    public sealed record RejectRequest(string? Reason);

    public sealed record InstanceView(string InstanceId, string Services, string Host, string Version, int ProcessId, DateTimeOffset StartedAt,
        DateTimeOffset LastSeenAt, double SilentForSeconds, bool Silent);

    public static WebApplication MapConsoleApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/operator/console").WithTags("Operator console");

        api.MapGet("/queues", async (IQueueMonitor monitor, IndexDatabase db, TimeProvider time, CancellationToken ct) =>
        {
            var queues = await monitor.ReadAsync(ct);
            var outbox = await db.OutboxBacklogAsync(ct);
            var waiting = (await db.QuarantineGroupsAsync(ct)).Sum(g => g.Count);
            return Results.Ok(new QueuesView(queues,
                new OutboxView(outbox.Pending, outbox.OldestPendingAt, outbox.OldestPendingAt is { } at ? Math.Max(0, (time.GetUtcNow() - at).TotalSeconds) : null),
                waiting));
        }).RequireScope(Scopes.Operate).WithSummary("Every Hub queue with its depth, rates, consumers and oldest message; the outbox backlog beside them")
            .WithDescription("Server mode: the queues named `hub.*` from the RabbitMQ management API (`Hub:Console:ManagementUrl`, a user with the " +
                             "`monitoring` tag); `queues.brokerReachable` false and `queues.problem` say when it cannot be read, and the aggregator's " +
                             "queue is then shown as this process counts it (`queues.source` `counters`). Embedded default: the in-memory queue " +
                             "from the Hub's own counters. Error queues have `isError`.")
            .Produces<QueuesView>();

        api.MapGet("/failed", async (FailedStore store, CancellationToken ct) =>
        {
            if (!store.Available)
                return Results.Ok(new FailedView(false, store.EmbeddedProblem,
                    store.Queues.Select(q => new FailedQueueView(q, FailedMessages.SourceQueueOf(q), 0, 0, null)).ToList(), 0, 0, []));
            IReadOnlyList<FailedGroups> found;
            try { found = await store.GroupsAsync(ct); }
            catch (BrokerUnavailableException ex) { return Problems.Unavailable(ex.Message); }
            var groups = found.SelectMany(q => q.Groups).Select(g => new FailedGroupView(g.Id, g.Queue, g.ExceptionType, g.Cause, g.Count, g.Repeats,
                g.FirstFailedAt, g.LastFailedAt, g.Agencies)).OrderByDescending(g => g.Count).ThenBy(g => g.Id, StringComparer.Ordinal).ToList();
            return Results.Ok(new FailedView(true, null, found.Select(q => new FailedQueueView(q.Queue, FailedMessages.SourceQueueOf(q.Queue), q.InQueue, q.Read,
                    q.Source)).ToList(), found.Sum(q => q.InQueue), found.Sum(q => q.Read), groups,
                found.All(q => q.Source == "index") ? "index" : "scan"));
        }).RequireScope(Scopes.Operate).WithSummary("The messages in the aggregator's error queues, grouped by cause (exception type, normalised message, queue)")
            .WithDescription("One error queue per queue the aggregator consumes records from: `hub.aggregator_error` (single records) and " +
                             "`hub.aggregator.bulk_error` (the bulk path's batches), each in `queues` with its depth and the queue its messages " +
                             "are replayed to; the groups of all of them in one list, each naming its queue. Counts only: no record is named. " +
                             "A queue's `source` `index`: grouped from the Hub's index of the error queue " +
                             "(written as messages are moved there, emptied by replays and discards), used while it counts exactly what the broker " +
                             "says the queue holds. `scan`: read over AMQP without acknowledging (the messages go back in their places), up to " +
                             "`Hub:Console:FailedScanLimit` (10,000); `read` < `inQueue` says the groups count the first ones. The top-level " +
                             "`inQueue` and `read` are summed over the queues, `source` is `index` only when every queue's is. Server mode only: on " +
                             "the embedded default `available` is false.")
            .Produces<FailedView>().ProducesProblem(503);

        api.MapGet("/failed/groups/{groupId}", async (string groupId, int? limit, FailedStore store, HttpContext http, IAuditTrail audit, TimeProvider time,
            CancellationToken ct) =>
        {
            if (!store.Available) return Problems.Conflict(store.EmbeddedProblem);
            IReadOnlyList<FailedMessage> messages;
            try { messages = await store.OfGroupAsync(groupId, Math.Clamp(limit ?? 200, 1, 1000), ct); }
            catch (BrokerUnavailableException ex) { return Problems.Unavailable(ex.Message); }
            if (messages.Count == 0) return Problems.NotFound($"no failed messages of group {groupId} (replayed or discarded meanwhile?)");
            await audit.WriteAsync(Entry(http, time, "failed.read", "disclosed", $"{messages.Count} failed messages of group {groupId}"), ct);
            return Results.Ok(messages.Select(View).ToList());
        }).RequireScope(Scopes.Operate).WithSummary("The failed messages of one group: reason, source agency, source record id, time, repeat")
            .WithDescription("A batch of the bulk path is named by its first record (agency, source record id, revision) with `records`, how many " +
                             "it carries; `records` is null for a message of one record. Audited as a disclosure.")
            .Produces<List<FailedMessageView>>().ProducesProblem(404).ProducesProblem(503);

        api.MapPost("/failed/messages/{messageId}/replay", (string messageId, FailedStore store, HttpContext http, IAuditTrail audit, TimeProvider time,
                CancellationToken ct) =>
            Replay(store, http, audit, time, m => m.Id == messageId, one: true, $"message {messageId}", ct))
            .RequireScope(Scopes.Operate).WithSummary("Send one failed message back to the queue it failed on (`hub.aggregator` or `hub.aggregator.bulk`)")
            .WithDescription("Published again with the header `hub-replays` counting the replays (a message that fails again shows as a repeat), " +
                             "then taken out of the error queue once the broker confirmed the copy. 404 when it is not there (any more); audited.")
            .Produces<FailedActionView>().ProducesProblem(404).ProducesProblem(409).ProducesProblem(503);
        api.MapPost("/failed/groups/{groupId}/replay", (string groupId, FailedStore store, HttpContext http, IAuditTrail audit, TimeProvider time,
                CancellationToken ct) =>
            Replay(store, http, audit, time, m => m.GroupId == groupId, one: true, $"group {groupId}", ct))
            .RequireScope(Scopes.Operate).WithSummary("Send every failed message of a group back to the queue it failed on")
            .Produces<FailedActionView>().ProducesProblem(404).ProducesProblem(409).ProducesProblem(503);
        api.MapPost("/failed/replay-all", (FailedStore store, HttpContext http, IAuditTrail audit, TimeProvider time, CancellationToken ct) =>
            Replay(store, http, audit, time, _ => true, one: false, "all", ct))
            .RequireScope(Scopes.Operate).WithSummary("Send every failed message read (up to the scan limit of each error queue) back to the queue it failed on")
            .Produces<FailedActionView>().ProducesProblem(404).ProducesProblem(409).ProducesProblem(503);
        api.MapPost("/failed/messages/{messageId}/discard", (string messageId, DiscardRequest request, FailedStore store, HttpContext http, IAuditTrail audit,
                TimeProvider time, CancellationToken ct) =>
            Discard(store, http, audit, time, m => m.Id == messageId, $"message {messageId}", request.Reason, ct))
            .RequireScope(Scopes.Operate).WithSummary("Take one failed message out of the error queue for good, with a written reason (audited)")
            .Produces<FailedActionView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(503);
        api.MapPost("/failed/groups/{groupId}/discard", (string groupId, DiscardRequest request, FailedStore store, HttpContext http, IAuditTrail audit,
                TimeProvider time, CancellationToken ct) =>
            Discard(store, http, audit, time, m => m.GroupId == groupId, $"group {groupId}", request.Reason, ct))
            .RequireScope(Scopes.Operate).WithSummary("Take every failed message of a group out of the error queue for good, with a written reason (audited)")
            .Produces<FailedActionView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(503);

        api.MapGet("/quarantine", async (IndexDatabase db, CancellationToken ct) =>
        {
            var groups = await db.QuarantineGroupsAsync(ct);
            return Results.Ok(new QuarantineView(groups.Sum(g => g.Count),
                groups.Select(g => new QuarantineGroupView(g.ReasonCode, g.AgencyCode, g.Count, g.OldestAt, g.NewestAt)).ToList()));
        }).RequireScope(Scopes.Operate).WithSummary("Records waiting in quarantine, counted by reason code and agency (no record named)")
            .Produces<QuarantineView>();

        api.MapGet("/quarantine/entries", async (string? reasonCode, string? agency, bool? decided, int? limit, IndexDatabase db, HttpContext http,
            IAuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var n = Math.Clamp(limit ?? 100, 1, 1000);
            var rows = decided == true ? await db.DecidedQuarantineAsync(n, ct) : await db.WaitingQuarantineAsync(reasonCode, agency, n, ct);
            await audit.WriteAsync(Entry(http, time, "quarantine.read", "disclosed",
                $"{rows.Count} {(decided == true ? "decided" : "waiting")} entries{(reasonCode is null ? "" : $" {reasonCode}")}{(agency is null ? "" : $" of {agency}")}"), ct);
            return Results.Ok(rows.Select(r => new QuarantineEntryView(r.Id, r.AgencyCode, r.SourceRecordId, r.Revision, r.Kind, r.ReasonCode, r.Reason,
                r.ReceivedAt, r.Decision, r.DecidedAt, r.DecidedBy, r.Note, r.Outcome)).ToList());
        }).RequireScope(Scopes.Operate).WithSummary("Quarantined records waiting (of one reason code and/or agency; `agency=` empty: no verified publisher), or the latest decided")
            .WithDescription("Reasons and source record ids, never payloads; audited as a disclosure.")
            .Produces<List<QuarantineEntryView>>();

        api.MapPost("/quarantine/{id}/release", async (string id, QuarantineDesk desk, HttpContext http, CancellationToken ct) =>
            Answer(id, await desk.ReleaseAsync(id, http.Caller(), ct)))
            .RequireScope(Scopes.Operate).WithSummary("Apply a quarantined record again, through the aggregator, once what was wrong is corrected")
            .WithDescription("The record goes through the same rules, ledger and outbox as one from the bus, as published by the agency the " +
                             "broker vouched for when it arrived. 200 `applied` (or `held`: a removal waiting for its listing) — the entry is " +
                             "released and subscribers get the record's events; 409 `refused-again` with the reason code — the entry keeps waiting; " +
                             "409 when it was released or rejected already, or has no verified publisher (`spoofed-source`); 404 when there is no " +
                             "such entry. Audited.")
            .Produces<DecisionView>().ProducesProblem(404).ProducesProblem(409);

        api.MapPost("/quarantine/{id}/reject", async (string id, RejectRequest request, QuarantineDesk desk, HttpContext http, CancellationToken ct) =>
            Answer(id, await desk.RejectAsync(id, request.Reason, http.Caller(), ct)))
            .RequireScope(Scopes.Operate).WithSummary("Refuse a quarantined record for good, with a written reason")
            .WithDescription("The entry no longer waits; the agency gets a `RecordRejected` with reason code `rejected-by-operator` and the reason. " +
                             "400 without a reason; 409 when it was decided already; 404 when there is no such entry. Audited.")
            .Produces<DecisionView>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);

        api.MapGet("/services", async (IndexDatabase db, IOptions<ConsoleOptions> options, TimeProvider time, CancellationToken ct) =>
        {
            var now = time.GetUtcNow();
            var rows = await db.InstancesAsync(now - TimeSpan.FromDays(1), ct);
            return Results.Ok(rows.Select(r =>
            {
                var silent = Math.Max(0, (now - r.LastSeenAt).TotalSeconds);
                return new InstanceView(r.InstanceId, r.Services, r.Host, r.Version, r.ProcessId, r.StartedAt, r.LastSeenAt, silent,
                    silent > options.Value.SilentAfter.TotalSeconds);
            }).ToList());
        }).RequireScope(Scopes.Operate).WithSummary("The Hub processes seen in the last day with what they run, host, version and last heartbeat")
            .WithDescription("`silent`: no heartbeat for longer than `Hub:Console:SilentAfter` (1 minute).")
            .Produces<List<InstanceView>>();

        api.MapGet("/quality", async (string? period, string? date, DataQuality quality, TimeProvider time, CancellationToken ct) =>
        {
            var kind = string.IsNullOrWhiteSpace(period) ? "day" : period.Trim().ToLowerInvariant();
            if (!QualityPeriod.Kinds.Contains(kind))
                return Problems.BadRequest($"period '{period}' is none of {string.Join(", ", QualityPeriod.Kinds)}", "period");
            var day = ListingClock.DayAt(time.GetUtcNow());
            if (!string.IsNullOrWhiteSpace(date) && !DateOnly.TryParseExact(date.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
                return Problems.BadRequest($"date '{date}' is not a date (yyyy-MM-dd)", "date");
            return Results.Ok(await quality.ReportAsync(QualityPeriod.Of(kind, day)!, ct));
        }).RequireScope(Scopes.Operate).WithSummary("Data quality per agency over a day, week or month: received, accepted, duplicates, rejected by reason, " +
                                                    "subjects, listings that took effect, share of the province, decision → arrival; critical times")
            .WithDescription("`period` `day` (default), `week` (from Monday) or `month`, in China Standard Time; `date` (yyyy-MM-dd, default today) " +
                             "picks the period holding it. Flags: `concentration` — the agency sent more than `Hub:Console:Quality:ConcentrationShare` " +
                             "(0.8) of its province's records (at least `ConcentrationMinRecords`, in a province the registry knows more agencies of); " +
                             "`volumeWithoutEffect` — it received at least `VolumeGrowthFactor` (2) times the period before while its listings that " +
                             "took effect grew to at most `EffectGrowthAtMost` (1.25) times theirs. Durations in seconds, nearest-rank percentiles. " +
                             "Counts only: no record is named, and reading is not audited.")
            .Produces<QualityReport>().ProducesProblem(400);

        api.MapGet("/agencies", async (DataQuality quality, CancellationToken ct) => Results.Ok(await quality.RhythmsAsync(ct)))
            .RequireScope(Scopes.Operate).WithSummary("Every agency with its last record and usual rhythm; the silent ones first")
            .WithDescription("`silent`: no record for longer than `Hub:Console:Quality:SilentGapFactor` (3) times its median gap between arrivals " +
                             "over the last `RhythmWindow` (30 days; gaps under `RhythmMinGap`, 5 minutes, are one arrival), and never less than " +
                             "`SilentFloor` (1 hour); or nothing for the whole window after records before it. `judged` false: too few arrivals for a rhythm.")
            .Produces<List<AgencyRhythm>>();

        return app;
    }

    private static async Task<IResult> Replay(FailedStore store, HttpContext http, IAuditTrail audit, TimeProvider time, Func<FailedMessage, bool> chosen,
        bool one, string what, CancellationToken ct)
    {
        if (!store.Available) return Problems.Conflict(store.EmbeddedProblem);
        var by = http.Caller().Principal;
        FailedAction done;
        try { done = await store.ReplayAsync(chosen, one, by, ct); }
        catch (BrokerUnavailableException ex) { return Problems.Unavailable(ex.Message); }
        if (done.Done.Count == 0) return Problems.NotFound($"no failed message matches {what} (replayed or discarded meanwhile?); nothing changed");
        var to = string.Join(" and ", done.Done.Select(m => FailedMessages.SourceQueueOf(m.Queue)).Distinct());
        await audit.WriteAsync(Entry(http, time, "failed.replay", "replayed", $"{done.Done.Count} message(s) of {what} to {to}: " + Ids(done.Done)), ct);
        return Results.Ok(new FailedActionView("replayed", done.Done.Count, done.Done.Select(m => m.Id).ToList()));
    }

    private static async Task<IResult> Discard(FailedStore store, HttpContext http, IAuditTrail audit, TimeProvider time, Func<FailedMessage, bool> chosen,
        string what, string? reason, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reason)) return Problems.BadRequest("a discard needs a written reason", "reason");
        reason = Hub.Domain.Identifiers.ResidentIdNumber.MaskAllIn(reason.Trim());
        if (reason.Length > 500) return Problems.BadRequest("the reason is longer than 500 characters", "reason");
        if (!store.Available) return Problems.Conflict(store.EmbeddedProblem);
        FailedAction done;
        try { done = await store.DiscardAsync(chosen, one: true, http.Caller().Principal, ct); }
        catch (BrokerUnavailableException ex) { return Problems.Unavailable(ex.Message); }
        if (done.Done.Count == 0) return Problems.NotFound($"no failed message matches {what} (replayed or discarded meanwhile?); nothing changed");
        await audit.WriteAsync(Entry(http, time, "failed.discard", "discarded",
            $"{done.Done.Count} message(s) of {what}, because: {reason}; " + string.Join("; ", done.Done.Take(50).Select(m =>
                $"{m.Id} {m.Queue} {m.MessageType} {m.AgencyCode}/{m.SourceRecordId}{(m.Records is { } n ? $" [batch of {n}]" : "")} ({m.ExceptionType})"))), ct);
        return Results.Ok(new FailedActionView("discarded", done.Done.Count, done.Done.Select(m => m.Id).ToList()));
    }

    private static string Ids(IReadOnlyList<FailedMessage> messages) =>
        string.Join(", ", messages.Take(50).Select(m => m.Id)) + (messages.Count > 50 ? $" and {messages.Count - 50} more" : "");

    private static IResult Answer(string id, QuarantineDecision d) => d.Status switch
    {
        200 => Results.Ok(new DecisionView(id, d.Outcome, d.Detail)),
        400 => Problems.BadRequest(d.Detail, "reason"),
        404 => Problems.NotFound(d.Detail),
        _ => Problems.Make(409, d.Outcome, "Not done", d.Detail, d.ReasonCode is null ? null : new Dictionary<string, object?> { ["reasonCode"] = d.ReasonCode }),
    };

    private static FailedMessageView View(FailedMessage m) => new(m.Id, m.GroupId, m.Queue, m.MessageType, m.ExceptionType, m.Reason, m.AgencyCode,
        m.PublisherUser, m.SourceRecordId, m.Revision, m.Records, m.FailedAt, m.Replays, m.Repeat);

    private static AuditEntry Entry(HttpContext http, TimeProvider time, string action, string outcome, string detail)
    {
        var c = http.Caller();
        return new AuditEntry(time.GetUtcNow(), c.Principal, c.AgencyCode, action, Scopes.Operate, null, outcome, detail, "http");
    }
}
