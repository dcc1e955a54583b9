using Hub.Contracts;
using Hub.Domain.Access;
using Hub.Storage;
using Hub.Storage.Audit;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Hub.Aggregator.Consumers;

/// <summary>
/// Appends the audit entries of Hub processes without an index database (the court adapter alone) to the chain, once
/// per message (the inbox drops a redelivery). A message published as an agency is refused: audit entries come from the
/// Hub's own services only (broker permissions already keep agencies off <c>hub.audit</c>).
/// </summary>
public sealed partial class AuditRecordedConsumer(IndexDatabase db, BrokerUsers users, TimeProvider time, ILogger<AuditRecordedConsumer> log) : IConsumer<AuditRecorded>
{
    public async Task Consume(ConsumeContext<AuditRecorded> context)
    {
        var (agency, user) = Publisher.Of(context, users);
        if (agency is not null)
        {
            LogRefused(user ?? agency);
            throw new InvalidOperationException($"audit entries published as agency {agency} (broker user '{user}') are refused: only the Hub's services write the audit log");
        }
        var id = context.MessageId?.ToString("N");
        await using var session = await db.BeginAsync(context.CancellationToken);
        if (id is not null && (await session.SeenMessagesAsync([id], context.CancellationToken)).Count > 0) return;
        await session.AppendAuditAsync(context.Message.Entries.Select(e =>
            new AuditEntry(e.At, e.Principal, e.AgencyCode, e.Action, e.Scope, e.SubjectId, e.Outcome, e.Detail, e.Channel)).ToList(), context.CancellationToken);
        if (id is not null) await session.MarkSeenAsync(id, time.GetUtcNow(), context.CancellationToken);
        await session.CommitAsync(context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Refused audit entries published by broker user {User}: agencies do not write the audit log")]
    private partial void LogRefused(string user);
}
