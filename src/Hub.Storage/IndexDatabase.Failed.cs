using Dapper;

namespace Hub.Storage;

/// <summary>A message in an error queue as the console's index of it holds it (<c>failed_messages</c>).</summary>
public sealed class FailedMessageRow
{
    public string Queue { get; set; } = "";
    public string MessageId { get; set; } = "";
    public string GroupId { get; set; } = "";
    public string? MessageType { get; set; }
    public string ExceptionType { get; set; } = "";
    public string Cause { get; set; } = "";
    public string Reason { get; set; } = "";
    public string? AgencyCode { get; set; }
    public string? PublisherUser { get; set; }
    public string? SourceRecordId { get; set; }
    public int? Revision { get; set; }
    public DateTimeOffset? FailedAt { get; set; }
    public int Replays { get; set; }
    public DateTimeOffset IndexedAt { get; set; }
    /// <summary>A batch of the bulk path: how many records it carries (its first one is named above); null for one record.</summary>
    public int? Records { get; set; }
}

/// <summary>One group of an error queue's index: a cause, how many, how many repeats, when.</summary>
public sealed class FailedGroupRow
{
    public string GroupId { get; set; } = "";
    public string ExceptionType { get; set; } = "";
    public string Cause { get; set; } = "";
    public long Count { get; set; }
    public long Repeats { get; set; }
    public DateTimeOffset? FirstFailedAt { get; set; }
    public DateTimeOffset? LastFailedAt { get; set; }
}

/// <summary>The console's index of the error queues: written when a message is moved there, rows deleted when it is
/// replayed or discarded, grouped by SQL (primary key and <c>ix_failed_messages_group</c>).</summary>
public sealed partial class IndexDatabase
{
    private static readonly BulkInsert<FailedMessageRow> FailedRows = new("failed_messages",
        [new("queue", "text", typeof(string)), new("message_id", "text", typeof(string)), new("group_id", "text", typeof(string)),
         new("message_type", "text", typeof(string)), new("exception_type", "text", typeof(string)), new("cause", "text", typeof(string)),
         new("reason", "text", typeof(string)), new("agency_code", "text", typeof(string)), new("publisher_user", "text", typeof(string)),
         new("source_record_id", "text", typeof(string)), new("revision", "integer", typeof(int?)), new("failed_at", "timestamptz", typeof(DateTimeOffset?)),
         new("replays", "integer", typeof(int)), new("indexed_at", "timestamptz", typeof(DateTimeOffset)), new("records", "integer", typeof(int?))],
        r => [r.Queue, r.MessageId, r.GroupId, r.MessageType, r.ExceptionType, r.Cause, r.Reason, r.AgencyCode, r.PublisherUser, r.SourceRecordId,
              r.Revision, r.FailedAt, r.Replays, r.IndexedAt, r.Records],
        // a message that fails again after a replay is indexed again with its repeat (its row went with the replay)
        " ON CONFLICT (queue, message_id) DO UPDATE SET group_id = excluded.group_id, replays = excluded.replays, failed_at = excluded.failed_at, " +
        "exception_type = excluded.exception_type, cause = excluded.cause, reason = excluded.reason, indexed_at = excluded.indexed_at, records = excluded.records");

    /// <summary>Indexes messages moved to an error queue (the same message again: its row is brought up to date).</summary>
    public async Task IndexFailedAsync(IReadOnlyList<FailedMessageRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        using var turn = await WriteTurnAsync(ct);
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        foreach (var chunk in rows.DistinctBy(r => (r.Queue, r.MessageId)).Chunk(2_000))
            await FailedRows.ExecuteAsync(c, tx, chunk, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Replaces the index of <paramref name="queue"/> with what a whole read of it found.</summary>
    public async Task ReindexFailedAsync(string queue, IReadOnlyList<FailedMessageRow> rows, CancellationToken ct)
    {
        using var turn = await WriteTurnAsync(ct);
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM failed_messages WHERE queue = @Queue", new { Queue = queue }, tx, cancellationToken: ct));
        foreach (var chunk in rows.DistinctBy(r => r.MessageId).Chunk(2_000))
            await FailedRows.ExecuteAsync(c, tx, chunk, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Takes replayed or discarded messages out of the index.</summary>
    public async Task UnindexFailedAsync(string queue, IReadOnlyCollection<string> messageIds, CancellationToken ct)
    {
        if (messageIds.Count == 0) return;
        using var turn = await WriteTurnAsync(ct);
        await using var c = await OpenAsync(ct);
        foreach (var chunk in messageIds.Chunk(5_000))
            await c.ExecuteAsync(new CommandDefinition($"DELETE FROM failed_messages WHERE queue = @Queue AND message_id {_dialect.InList("Ids")}",
                new { Queue = queue, Ids = chunk }, cancellationToken: ct));
    }

    public Task<long> CountFailedAsync(string queue, CancellationToken ct) =>
        ScalarAsync<long>("SELECT COUNT(*) FROM failed_messages WHERE queue = @Queue", new { Queue = queue }, ct);

    /// <summary>The groups of an error queue's index, the largest first, and the agencies of each.</summary>
    public async Task<(IReadOnlyList<FailedGroupRow> Groups, ILookup<string, string> Agencies)> FailedGroupsAsync(string queue, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var groups = await QueryAsync<FailedGroupRow>(c, """
            SELECT group_id, MIN(exception_type) AS exception_type, MIN(cause) AS cause, COUNT(*) AS count,
                   SUM(CASE WHEN replays > 0 THEN 1 ELSE 0 END) AS repeats, MIN(failed_at) AS first_failed_at, MAX(failed_at) AS last_failed_at
            FROM failed_messages WHERE queue = @Queue GROUP BY group_id ORDER BY COUNT(*) DESC, group_id
            """, new { Queue = queue }, ct);
        var agencies = await QueryAsync<(string GroupId, string Agency)>(c,
            "SELECT DISTINCT group_id, COALESCE(agency_code, '?') AS agency FROM failed_messages WHERE queue = @Queue", new { Queue = queue }, ct);
        return (groups, agencies.ToLookup(a => a.GroupId, a => a.Agency));
    }

    /// <summary>Messages of one group of an error queue's index, the earliest failed first.</summary>
    public Task<IReadOnlyList<FailedMessageRow>> FailedOfGroupAsync(string queue, string groupId, int limit, CancellationToken ct) =>
        QueryAsync<FailedMessageRow>("SELECT * FROM failed_messages WHERE queue = @Queue AND group_id = @Group ORDER BY failed_at, message_id LIMIT @Limit",
            new { Queue = queue, Group = groupId, Limit = limit }, ct);
}
