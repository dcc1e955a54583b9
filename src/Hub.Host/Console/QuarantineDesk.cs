using System.Text.Json;
using Hub.Aggregator.Applying;
using Hub.Aggregator.Outbox;
using Hub.Contracts;
using Hub.Domain.Access;
using Hub.Domain.Intake;
using Hub.Storage;
using Hub.Storage.Audit;

namespace Hub.Host.OperatorConsole;

/// <summary>What became of a release or a rejection; <see cref="Status"/> is the HTTP status it answers with.</summary>
public sealed record QuarantineDecision(int Status, string Outcome, string Detail, string? ReasonCode = null);

/// <summary>
/// An operator's release or final rejection of a quarantined record.
/// <para><b>Release</b> applies the record again through the normal path: the quarantine row's payload, read back into
/// its contract by its kind, is handed to the aggregator's <see cref="RecordSequencer"/> — the same sequence, rules,
/// ledger, outbox and audit as a record from the bus — as published by the agency the row names (the publisher the
/// transport vouched for when it arrived), under a new message id (the inbox knows the old one). Not published to the
/// inbound exchange again: the aggregator's broker user may not publish as an agency (only the adapter's
/// <c>impersonator</c> may), and a copy without the agency's <c>user_id</c> would be refused as spoofed. The answer
/// says what happened: <c>applied</c> (or <c>held</c>: a removal waiting for its listing) — the row is then marked
/// released and the record's events (<c>SubjectListed</c>, <c>SubjectDelisted</c>, …) go to subscribers as for any
/// record; <c>refused-again</c> with the reason — the row keeps waiting, nothing is marked.</para>
/// <para><b>Reject</b> decides for good: the row no longer waits, and the agency is told with a
/// <see cref="RecordRejected"/> (<c>rejected-by-operator</c>, the operator's reason), in the same transaction as the
/// decision and its audit entry.</para>
/// </summary>
public sealed class QuarantineDesk(IndexDatabase db, IServiceProvider services, OutboxSignal signal, TimeProvider time)
{
    public const string RejectedByOperator = "rejected-by-operator";

    private static readonly Dictionary<string, Type> Kinds = new[]
    {
        typeof(JudgmentDefaulterListed), typeof(JudgmentDefaulterRemoved), typeof(AdministrativePenaltyRecorded), typeof(OrganizationRegistered),
        typeof(ListingDisputed), typeof(DisputeResolved), typeof(CreditRepairGranted),
    }.ToDictionary(t => t.Name);

    public async Task<QuarantineDecision> ReleaseAsync(string id, Caller caller, CancellationToken ct)
    {
        var row = await db.QuarantineEntryAsync(id, ct);
        if (Refusal(row, id) is { } refused) return refused;
        if (row!.ReasonCode == Rejection.SpoofedSource || row.AgencyCode is null)
            return new QuarantineDecision(409, "not-released",
                $"quarantine entry {id} has no publisher the broker vouched for ({row.ReasonCode}): the Hub cannot apply it as any agency; reject it, " +
                "and the agency sends it again as itself");
        if (!Kinds.TryGetValue(row.Kind, out var type))
            return new QuarantineDecision(409, "not-released", $"quarantine entry {id} holds a {row.Kind}, which this build cannot apply");
        object message;
        try
        {
            message = JsonSerializer.Deserialize(row.Payload, type, Incoming.Json)
                      ?? throw new JsonException("empty payload");
        }
        catch (JsonException)
        {
            return new QuarantineDecision(409, "not-released", $"quarantine entry {id} holds a record that cannot be read back: reject it");
        }
        if (services.GetService<RecordSequencer>() is not { } sequencer)
            return new QuarantineDecision(409, "not-released", "this Hub process does not run the aggregator");

        var messageId = Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
        var head = await db.AuditHeadSeqAsync(ct);
        await sequencer.SubmitAsync(new Incoming(messageId, message, row.AgencyCode, BrokerUsers.UserOf(row.AgencyCode)), ct);

        var outcome = await db.ApplyOutcomeAsync(messageId, head, ct) ?? "unknown";
        var state = row.SourceRecordId is not null && row.Revision is { } revision
            ? await db.RecordStateAsync(row.AgencyCode, row.SourceRecordId, revision, row.Kind, ct)
            : null;
        if (outcome.StartsWith("quarantined", StringComparison.Ordinal) || state is null && outcome is not ("applied" or "duplicate" or "held"))
        {
            var code = outcome.Split(':', 2) is [_, var c] ? c : null;
            await AuditAsync(caller, "quarantine.release", "refused-again", $"entry {id}: {row.Kind} {row.AgencyCode}/{row.SourceRecordId} refused again ({code ?? outcome})", ct);
            return new QuarantineDecision(409, "refused-again",
                $"the rules still refuse the record ({code ?? outcome}); it stays in quarantine, and the agency was told again", code);
        }
        var applied = state ?? outcome;
        var entry = Entry(caller, "quarantine.release", "released", $"entry {id}: {row.Kind} {row.AgencyCode}/{row.SourceRecordId} revision {row.Revision} {applied}");
        if (!await db.DecideQuarantineAsync(id, "released", caller.Principal, null, applied, [], entry, ct))
            return new QuarantineDecision(409, "already-decided", $"quarantine entry {id} was released or rejected by someone else meanwhile; the record is {applied}");
        signal.Notify();
        return new QuarantineDecision(200, applied, applied == "held"
            ? "released: the removal waits for its listing, as any removal that comes first"
            : "released: the record is applied, and subscribers get its events");
    }

    public async Task<QuarantineDecision> RejectAsync(string id, string? reason, Caller caller, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reason))
            return new QuarantineDecision(400, "not-rejected", "a rejection needs a reason, for the agency and the record");
        reason = Hub.Domain.Identifiers.ResidentIdNumber.MaskAllIn(reason.Trim());
        if (reason.Length > 500) return new QuarantineDecision(400, "not-rejected", "the reason is longer than 500 characters");
        var row = await db.QuarantineEntryAsync(id, ct);
        if (Refusal(row, id) is { } refused) return refused;
        var now = time.GetUtcNow();
        var events = new List<OutboxRow>();
        if (row!.AgencyCode is { } agency)
            events.Add(new OutboxRow
            {
                MessageType = nameof(RecordRejected), CreatedAt = now, OrderingKey = $"{agency}/{row.SourceRecordId}",
                Payload = JsonSerializer.Serialize(new RecordRejected
                {
                    EventId = Guid.CreateVersion7(now).ToString("N"), AgencyCode = agency, SourceRecordId = row.SourceRecordId ?? "",
                    Revision = row.Revision ?? 0, RecordKind = row.Kind, ReasonCode = RejectedByOperator, Reason = reason, QuarantineId = row.Id, RejectedAt = now,
                }, Incoming.Json),
            });
        var entry = Entry(caller, "quarantine.reject", "rejected", $"entry {id}: {row.Kind} {row.AgencyCode}/{row.SourceRecordId} ({row.ReasonCode}): {reason}");
        if (!await db.DecideQuarantineAsync(id, "rejected", caller.Principal, reason, row.ReasonCode, events, entry, ct))
            return new QuarantineDecision(409, "already-decided", $"quarantine entry {id} was released or rejected by someone else meanwhile");
        signal.Notify();
        return new QuarantineDecision(200, "rejected", row.AgencyCode is null ? "rejected for good" : $"rejected for good; {row.AgencyCode} is told why");
    }

    private static QuarantineDecision? Refusal(QuarantineRow? row, string id) => row switch
    {
        null => new QuarantineDecision(404, "not-found", $"no quarantine entry {id}"),
        { Decision: { } d } => new QuarantineDecision(409, "already-decided",
            $"quarantine entry {id} was {d} already{(d == "released" ? ", so it is applied" : "")} ({row.DecidedAt:u} by {row.DecidedBy})"),
        { ReleasedAt: { } at } => new QuarantineDecision(409, "already-decided", $"quarantine entry {id} was released already ({at:u})"),
        _ => null,
    };

    private AuditEntry Entry(Caller caller, string action, string outcome, string detail) =>
        new(time.GetUtcNow(), caller.Principal, caller.AgencyCode, action, Scopes.Operate, null, outcome, detail, "http");

    private Task AuditAsync(Caller caller, string action, string outcome, string detail, CancellationToken ct) =>
        services.GetRequiredService<Security.IAuditTrail>().WriteAsync(Entry(caller, action, outcome, detail), ct);
}
