using Dapper;
using Hub.Storage.Audit;

namespace Hub.Storage;

/// <summary>The outbox's pending events: how many, and when the oldest was committed (null: none pending).</summary>
public sealed class OutboxBacklogRow
{
    public long Pending { get; set; }
    public DateTimeOffset? OldestPendingAt { get; set; }
}

/// <summary>Quarantined records still waiting (neither released nor rejected for good) of one reason code and agency.</summary>
public sealed class QuarantineGroupRow
{
    public string ReasonCode { get; set; } = "";
    public string? AgencyCode { get; set; }
    public long Count { get; set; }
    public DateTimeOffset OldestAt { get; set; }
    public DateTimeOffset NewestAt { get; set; }
}

/// <summary>One Hub process's heartbeat: what it runs, where, which build, and its last sign of life.</summary>
public sealed class HubInstanceRow
{
    public string InstanceId { get; set; } = "";
    /// <summary>What the process runs, comma-separated: <c>aggregator</c>, <c>court-adapter</c>, <c>relay</c>.</summary>
    public string Services { get; set; } = "";
    public string Host { get; set; } = "";
    public string Version { get; set; } = "";
    public int ProcessId { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
}

/// <summary>What the operator console reads and writes: backlog figures, quarantine groups and decisions, heartbeats.</summary>
public sealed partial class IndexDatabase
{
    private const string WaitingQuarantine =
        "q.released_at IS NULL AND NOT EXISTS (SELECT 1 FROM quarantine_decisions d WHERE d.quarantine_id = q.id)";

    private const string EntrySelect = """
        SELECT q.id, q.agency_code, q.source_record_id, q.revision, q.kind, q.reason_code, q.reason, q.payload, q.message_id, q.received_at,
               q.released_at, d.decision, d.decided_at, d.decided_by, d.note, d.outcome
        FROM quarantine q LEFT JOIN quarantine_decisions d ON d.quarantine_id = q.id
        """;

    /// <summary>Pending outbound events and the commit time of the oldest (the partial index <c>ix_outbox_pending</c>).</summary>
    public async Task<OutboxBacklogRow> OutboxBacklogAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QueryFirstAsync<OutboxBacklogRow>(new CommandDefinition(
            "SELECT COUNT(*) AS pending, MIN(created_at) AS oldest_pending_at FROM outbox WHERE published_at IS NULL", cancellationToken: ct));
    }

    /// <summary>The records waiting in quarantine, counted by reason code and agency, the largest group first.</summary>
    public Task<IReadOnlyList<QuarantineGroupRow>> QuarantineGroupsAsync(CancellationToken ct) =>
        QueryAsync<QuarantineGroupRow>($"""
            SELECT q.reason_code, q.agency_code, COUNT(*) AS count, MIN(q.received_at) AS oldest_at, MAX(q.received_at) AS newest_at
            FROM quarantine q WHERE {WaitingQuarantine}
            GROUP BY q.reason_code, q.agency_code ORDER BY COUNT(*) DESC, q.reason_code, q.agency_code
            """, new { }, ct);

    /// <summary>Waiting quarantine rows, newest first, of one reason code and/or agency when given (an agency of
    /// <c>""</c> is the rows no agency vouched for).</summary>
    public Task<IReadOnlyList<QuarantineRow>> WaitingQuarantineAsync(string? reasonCode, string? agency, int limit, CancellationToken ct) =>
        QueryAsync<QuarantineRow>($"""
            {EntrySelect}
            WHERE {WaitingQuarantine}
              AND (@ReasonCode IS NULL OR q.reason_code = @ReasonCode)
              AND (@Agency IS NULL OR q.agency_code = @Agency OR (@Agency = '' AND q.agency_code IS NULL))
            ORDER BY q.received_at DESC, q.id LIMIT @Limit
            """, new { ReasonCode = reasonCode, Agency = agency, Limit = limit }, ct);

    /// <summary>Released and rejected quarantine rows, the latest decision first.</summary>
    public Task<IReadOnlyList<QuarantineRow>> DecidedQuarantineAsync(int limit, CancellationToken ct) =>
        QueryAsync<QuarantineRow>($"{EntrySelect} WHERE d.quarantine_id IS NOT NULL ORDER BY d.decided_at DESC, q.id LIMIT @Limit", new { Limit = limit }, ct);

    public async Task<QuarantineRow?> QuarantineEntryAsync(string id, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QueryFirstOrDefaultAsync<QuarantineRow>(new CommandDefinition($"{EntrySelect} WHERE q.id = @Id", new { Id = id }, cancellationToken: ct));
    }

    /// <summary>
    /// Records an operator's decision on a waiting quarantine row, its audit entry and the events it owes, in one
    /// transaction: <c>released</c> also sets the row's <c>released_at</c> (a later resend of the record is quarantined
    /// anew). False, and nothing written, when the row is not waiting any more (another operator decided first).
    /// </summary>
    public async Task<bool> DecideQuarantineAsync(string id, string decision, string by, string? note, string? outcome, IReadOnlyList<OutboxRow> events,
        AuditEntry audit, CancellationToken ct)
    {
        var at = _time.GetUtcNow();
        await using var session = await BeginAsync(ct);
        var args = new { Id = id, Decision = decision, At = at, By = by, Note = note, Outcome = outcome };
        var taken = await session.Connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO quarantine_decisions (quarantine_id, decision, decided_at, decided_by, note, outcome)
            SELECT q.id, @Decision, @At, @By, @Note, @Outcome FROM quarantine q WHERE q.id = @Id AND {WaitingQuarantine}
            ON CONFLICT DO NOTHING
            """, args, session.Transaction, cancellationToken: ct));
        if (taken != 1) return false;
        if (decision == "released")
            await session.Connection.ExecuteAsync(new CommandDefinition("UPDATE quarantine SET released_at = @At WHERE id = @Id", args, session.Transaction,
                cancellationToken: ct));
        var write = new IndexWrite(at);
        write.Outbox.AddRange(events);
        write.Audit.Add(audit);
        await session.WriteAsync(write, ct);
        await session.CommitAsync(ct);
        return true;
    }

    /// <summary>Whether the ledger holds this record (applied, by whatever path), or a held removal waits under its key.</summary>
    public async Task<string?> RecordStateAsync(string agency, string sourceRecordId, int revision, string kind, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var args = new { Agency = agency, Source = sourceRecordId, Revision = revision, Kind = kind };
        if (await c.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM records WHERE agency_code = @Agency AND source_record_id = @Source AND revision = @Revision AND kind = @Kind",
                args, cancellationToken: ct)) > 0) return "applied";
        if (await c.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM held_removals WHERE agency_code = @Agency AND source_record_id = @Source AND revision = @Revision AND kind = @Kind",
                args, cancellationToken: ct)) > 0) return "held";
        return null;
    }

    /// <summary>The audit chain's last seq (0 when empty).</summary>
    public Task<long> AuditHeadSeqAsync(CancellationToken ct) => ScalarAsync<long>("SELECT COALESCE(MAX(seq), 0) FROM audit_log", null, ct);

    /// <summary>The aggregator's outcome for the message <paramref name="messageId"/> (e.g. <c>applied</c>, <c>duplicate</c>,
    /// <c>quarantined:invalid-identifier</c>), from its audit entry after <paramref name="afterSeq"/>; null when there is none.</summary>
    public async Task<string?> ApplyOutcomeAsync(string messageId, long afterSeq, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT outcome FROM audit_log WHERE seq > @After AND action = 'record.apply' AND detail LIKE @Pattern ORDER BY seq DESC LIMIT 1",
            new { After = afterSeq, Pattern = "%, message " + messageId }, cancellationToken: ct));
    }

    /// <summary>Records a process's sign of life (its row made at the first beat).</summary>
    public Task BeatAsync(HubInstanceRow row, CancellationToken ct) => ExecuteAsync("""
        INSERT INTO hub_instances (instance_id, services, host, version, process_id, started_at, last_seen_at)
        VALUES (@InstanceId, @Services, @Host, @Version, @ProcessId, @StartedAt, @LastSeenAt)
        ON CONFLICT (instance_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, services = excluded.services
        """, row, ct);

    /// <summary>The processes seen since <paramref name="since"/>, the most recently seen first.</summary>
    public Task<IReadOnlyList<HubInstanceRow>> InstancesAsync(DateTimeOffset since, CancellationToken ct) =>
        QueryAsync<HubInstanceRow>("SELECT * FROM hub_instances WHERE last_seen_at >= @Since ORDER BY last_seen_at DESC, instance_id",
            new { Since = since }, ct);
}
