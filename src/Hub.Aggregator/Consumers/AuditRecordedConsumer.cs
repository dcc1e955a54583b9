using Hub.Contracts;
using Hub.Storage;
using Hub.Storage.Audit;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Hub.Aggregator.Consumers;

/// <summary>
/// Appends the audit entries of Hub processes without an index database (the court adapter alone) to the chain, once
/// per message (the inbox drops a redelivery). On RabbitMQ only a message whose validated <c>user_id</c> is one of the
/// Hub's own (<see cref="AuditPublishers"/>) — and, for one the Hub published again in another's place, whose vouched
/// first publisher is too (<see cref="VouchedPublisher"/>) — is taken; anything else — an agency, or no <c>user_id</c> at all — is
/// refused to the error queue, never retried. On the in-memory transport only this process can publish.
/// </summary>
public sealed partial class AuditRecordedConsumer(IndexDatabase db, AuditPublishers publishers, TimeProvider time, ILogger<AuditRecordedConsumer> log)
    : IConsumer<AuditRecorded>
{
    public async Task Consume(ConsumeContext<AuditRecorded> context)
    {
        // a replay carries the Hub's user_id: the publisher it vouches for must be the Hub's too, or an agency's refused
        // audit message would pass on the second try
        if (context.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) && VouchedPublisher.Of(rabbit.Properties, publishers) is var publisher &&
            !publishers.Allows(publisher))
        {
            var user = publisher ?? "(no user_id)";
            LogRefused(user);
            throw new RefusedAuditException($"audit entries from broker user {user} are refused: only the Hub's own services write the audit log");
        }
        var id = context.MessageId?.ToString("N");
        await using var session = await db.BeginAsync(context.CancellationToken);
        if (id is not null && (await session.SeenMessagesAsync([id], context.CancellationToken)).Count > 0) return;
        await session.AppendAuditAsync(context.Message.Entries.Select(e =>
            new AuditEntry(e.At, e.Principal, e.AgencyCode, e.Action, e.Scope, e.SubjectId, e.Outcome, e.Detail, e.Channel)).ToList(), context.CancellationToken);
        if (id is not null) await session.MarkSeenAsync(id, time.GetUtcNow(), context.CancellationToken);
        await session.CommitAsync(context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Refused audit entries published by broker user {User}: only the Hub's own services write the audit log")]
    private partial void LogRefused(string user);
}
