using Dapper;
using Hub.Storage.Audit;

namespace Hub.Storage;

/// <summary>A webhook delivery that failed for good: the receiver refused the event (a 4xx other than 408/429, or a
/// redirect) or did not take it within the retry window. Kept for operators, who may send it again.</summary>
public sealed class WebhookDeadLetterRow
{
    public string Id { get; set; } = "";
    public string AgencyCode { get; set; } = "";
    public string EventId { get; set; } = "";
    /// <summary>The contract's URN (<c>urn:message:hub:subject-listed:v1</c>).</summary>
    public string EventType { get; set; } = "";
    /// <summary>The event kind, the first word of the routing key (<c>listed</c>, <c>rejected</c>).</summary>
    public string EventKind { get; set; } = "";
    public string RoutingKey { get; set; } = "";
    /// <summary>The body as POSTed (UTF-8 JSON): data about people, never shown by the operator API nor logged.</summary>
    public string Body { get; set; } = "";
    public int Attempts { get; set; }
    public int? LastStatus { get; set; }
    public string LastError { get; set; } = "";
    public DateTimeOffset FailedAt { get; set; }
    public DateTimeOffset? ResentAt { get; set; }
    public string? ResentBy { get; set; }
}

/// <summary>An event waiting to be POSTed to a webhook subscriber, on a Hub without a broker (the embedded default):
/// delivered per agency in <see cref="Id"/> order, and deleted once delivered or dead-lettered. <see cref="Attempts"/>
/// and <see cref="FirstAttemptAt"/> carry the retries of the head across a restart.</summary>
public sealed class WebhookDeliveryRow
{
    public long Id { get; set; }
    public string AgencyCode { get; set; } = "";
    public string EventId { get; set; } = "";
    public string EventType { get; set; } = "";
    public string EventKind { get; set; } = "";
    public string RoutingKey { get; set; } = "";
    public string Body { get; set; } = "";
    public DateTimeOffset EnqueuedAt { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? FirstAttemptAt { get; set; }
}

/// <summary>Webhook subscribers: their secrets, the deliveries waiting on the embedded default, and the dead letters.</summary>
public sealed partial class IndexDatabase
{
    private const string EnqueueWebhookDeliverySql = """
        INSERT INTO webhook_deliveries (agency_code, event_id, event_type, event_kind, routing_key, body, enqueued_at, attempts)
        VALUES (@AgencyCode, @EventId, @EventType, @EventKind, @RoutingKey, @Body, @EnqueuedAt, 0)
        ON CONFLICT (agency_code, event_id) DO NOTHING
        """;

    /// <summary>Queues events for webhook subscribers, in one transaction; an event already waiting for the same agency
    /// (the relay published it again) keeps its place and is not queued twice.</summary>
    public async Task EnqueueWebhookDeliveriesAsync(IReadOnlyList<WebhookDeliveryRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        using var turn = await WriteTurnAsync(ct);
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        foreach (var row in rows)
            await c.ExecuteAsync(new CommandDefinition(EnqueueWebhookDeliverySql, row, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>The oldest delivery waiting for the agency, or null.</summary>
    public async Task<WebhookDeliveryRow?> NextWebhookDeliveryAsync(string agencyCode, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QueryFirstOrDefaultAsync<WebhookDeliveryRow>(new CommandDefinition(
            "SELECT * FROM webhook_deliveries WHERE agency_code = @AgencyCode ORDER BY id LIMIT 1", new { AgencyCode = agencyCode }, cancellationToken: ct));
    }

    /// <summary>How many deliveries wait for the agency.</summary>
    public Task<long> PendingWebhookDeliveriesAsync(string agencyCode, CancellationToken ct) =>
        ScalarAsync<long>("SELECT COUNT(*) FROM webhook_deliveries WHERE agency_code = @AgencyCode", new { AgencyCode = agencyCode }, ct);

    /// <summary>Records a failed attempt of a waiting delivery, so that a restart continues its retries where they were.</summary>
    public Task RecordWebhookAttemptAsync(long id, int attempts, DateTimeOffset firstAttemptAt, CancellationToken ct) =>
        ExecuteAsync("UPDATE webhook_deliveries SET attempts = @Attempts, first_attempt_at = @FirstAttemptAt WHERE id = @Id",
            new { Id = id, Attempts = attempts, FirstAttemptAt = firstAttemptAt }, ct);

    /// <summary>A delivery done: its row goes.</summary>
    public Task DeleteWebhookDeliveryAsync(long id, CancellationToken ct) => ExecuteAsync("DELETE FROM webhook_deliveries WHERE id = @Id", new { Id = id }, ct);

    /// <summary>Stores a dead letter and, in the same transaction, deletes the waiting delivery it ends (embedded default).</summary>
    public async Task AddWebhookDeadLetterAsync(WebhookDeadLetterRow row, long? deliveryId, CancellationToken ct)
    {
        using var turn = await WriteTurnAsync(ct);
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO webhook_dead_letters (id, agency_code, event_id, event_type, event_kind, routing_key, body, attempts, last_status, last_error, failed_at)
            VALUES (@Id, @AgencyCode, @EventId, @EventType, @EventKind, @RoutingKey, @Body, @Attempts, @LastStatus, @LastError, @FailedAt)
            """, row, tx, cancellationToken: ct));
        if (deliveryId is { } id)
            await c.ExecuteAsync(new CommandDefinition("DELETE FROM webhook_deliveries WHERE id = @Id", new { Id = id }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>Dead letters, newest first; of one agency when given.</summary>
    public Task<IReadOnlyList<WebhookDeadLetterRow>> WebhookDeadLettersAsync(string? agencyCode, int limit, CancellationToken ct) =>
        QueryAsync<WebhookDeadLetterRow>(agencyCode is null
            ? "SELECT * FROM webhook_dead_letters ORDER BY failed_at DESC, id DESC LIMIT @Limit"
            : "SELECT * FROM webhook_dead_letters WHERE agency_code = @AgencyCode ORDER BY failed_at DESC, id DESC LIMIT @Limit",
            new { AgencyCode = agencyCode, Limit = limit }, ct);

    public async Task<WebhookDeadLetterRow?> WebhookDeadLetterAsync(string id, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QueryFirstOrDefaultAsync<WebhookDeadLetterRow>(new CommandDefinition("SELECT * FROM webhook_dead_letters WHERE id = @Id", new { Id = id },
            cancellationToken: ct));
    }

    /// <summary>Marks a dead letter sent again, and records it, in one transaction.</summary>
    public async Task MarkWebhookDeadLetterResentAsync(string id, DateTimeOffset at, string by, AuditEntry audit, CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        await session.Connection.ExecuteAsync(new CommandDefinition("UPDATE webhook_dead_letters SET resent_at = @At, resent_by = @By WHERE id = @Id",
            new { Id = id, At = at, By = by }, session.Transaction, cancellationToken: ct));
        await session.AppendAuditAsync([audit], ct);
        await session.CommitAsync(ct);
    }

    /// <summary>Replaces the secret of a webhook subscription made through the API, and records it (never the secret),
    /// in one transaction; false (nothing recorded) when the agency has no such subscription.</summary>
    public async Task<bool> SetWebhookSecretAsync(string agencyCode, string secret, AuditEntry audit, CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        if (await session.Connection.ExecuteAsync(new CommandDefinition(
                "UPDATE subscriptions SET webhook_secret = @Secret WHERE agency_code = @AgencyCode AND delivery = 'webhook'",
                new { AgencyCode = agencyCode, Secret = secret }, session.Transaction, cancellationToken: ct)) == 0) return false;
        await session.AppendAuditAsync([audit], ct);
        await session.CommitAsync(ct);
        return true;
    }
}
