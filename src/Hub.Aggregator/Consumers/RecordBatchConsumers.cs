using Hub.Aggregator.Applying;
using Hub.Contracts;
using Hub.Domain.Access;
using MassTransit;

namespace Hub.Aggregator.Consumers;

/// <summary>Thin consumers, one per inbound contract: each hands its message, with the publisher its transport vouches
/// for, to the one <see cref="RecordSequencer"/>, and completes when the batch holding it has committed. The four kinds
/// share one sequence, so a removal never overtakes the listing it ends on a consumer of its own.</summary>
public abstract class RecordConsumer<T>(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub) : IConsumer<T> where T : class
{
    public Task Consume(ConsumeContext<T> context)
    {
        var (agency, user) = Publisher.Of(context, users, hub);
        DateTimeOffset? sent = context.SentTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
        return sequencer.SubmitAsync(new Incoming(context.MessageId?.ToString("N"), context.Message, agency, user, sent), context.CancellationToken);
    }
}

/// <summary>
/// Thin consumers of the batch contracts (the bulk path): each record of a batch becomes an <see cref="Incoming"/> of its
/// own, exactly as if it had come alone — with the publisher the transport vouches for the batch, and a message id of
/// its own (<c>{batch message id}.{position from 1}</c>), so a redelivered batch drops the records already applied by
/// the inbox as a redelivered single message is — and all are handed to the <see cref="RecordSequencer"/> in the
/// batch's order, one after the other. The batch completes (is acknowledged) when every record's batch has committed;
/// when one fails the whole message goes to the retry, where the records applied before are duplicates. A null entry
/// names nothing to apply or refuse and is skipped.
/// </summary>
public abstract class RecordBatchConsumer<TBatch, T>(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub) : IConsumer<TBatch>
    where TBatch : class where T : class
{
    protected abstract IReadOnlyList<T?>? RecordsOf(TBatch batch);

    public Task Consume(ConsumeContext<TBatch> context)
    {
        var (agency, user) = Publisher.Of(context, users, hub);
        return sequencer.SubmitManyAsync(RecordBatch.Items(context.MessageId?.ToString("N"), RecordsOf(context.Message) ?? [], agency, user),
            context.CancellationToken);
    }
}

/// <summary>The records of a batch message as the aggregator applies them.</summary>
public static class RecordBatch
{
    /// <summary>Each record of the batch message <paramref name="messageId"/> as an <see cref="Incoming"/> of its own, in
    /// order: the batch's publisher, and the message id <see cref="RecordMessageId"/>; null entries skipped.</summary>
    public static List<Incoming> Items(string? messageId, IReadOnlyList<object?> records, string? agency, string? user)
    {
        var items = new List<Incoming>(records.Count);
        for (var i = 0; i < records.Count; i++)
            if (records[i] is { } record)
                items.Add(new Incoming(messageId is null ? null : RecordMessageId(messageId, i + 1), record, agency, user));
        return items;
    }

    /// <summary>The inbox id of the record at <paramref name="position"/> (from 1) of the batch message <paramref name="messageId"/>.</summary>
    public static string RecordMessageId(string messageId, int position) => $"{messageId}.{position}";
}

/// <summary>Who published a message, as far as its transport can vouch for it.</summary>
public static class Publisher
{
    /// <summary>
    /// On RabbitMQ the AMQP <c>user_id</c>, which the broker validates against the connection's user (only an
    /// <c>impersonator</c> — the Hub's own adapter — may set another), mapped to its agency; on a message one of the Hub's
    /// own users (<paramref name="hub"/>) published in another's place — an operator's replay of a failed message — the
    /// user the Hub vouches for in <see cref="BrokerUsers.VerifiedPublisherHeader"/> (<see cref="VouchedPublisher.Of"/>).
    /// Headers count on nobody else's message, since anyone allowed to publish can write any header. On the in-memory
    /// transport, where only this process publishes, the Hub adapter's <see cref="BrokerUsers.PublisherAgencyHeader"/>.
    /// Anything else: unknown.
    /// </summary>
    public static (string? Agency, string? User) Of(ConsumeContext message, BrokerUsers users, AuditPublishers hub)
    {
        if (message.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit))
        {
            var user = VouchedPublisher.Of(rabbit.Properties, hub);
            return (users.AgencyOf(user)?.Code, user);
        }
        if (message.ReceiveContext.InputAddress?.Scheme != "loopback") return (null, null);
        var named = message.Headers.Get<string>(BrokerUsers.PublisherAgencyHeader);
        return (string.IsNullOrWhiteSpace(named) ? null : users.AgencyOf(BrokerUsers.UserOf(named))?.Code, null);
    }
}

public sealed class JudgmentDefaulterListedConsumer(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub) : RecordConsumer<JudgmentDefaulterListed>(sequencer, users, hub);
public sealed class JudgmentDefaulterRemovedConsumer(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub) : RecordConsumer<JudgmentDefaulterRemoved>(sequencer, users, hub);
public sealed class AdministrativePenaltyRecordedConsumer(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub) : RecordConsumer<AdministrativePenaltyRecorded>(sequencer, users, hub);
public sealed class OrganizationRegisteredConsumer(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub) : RecordConsumer<OrganizationRegistered>(sequencer, users, hub);
public sealed class ListingDisputedConsumer(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub) : RecordConsumer<ListingDisputed>(sequencer, users, hub);
public sealed class DisputeResolvedConsumer(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub) : RecordConsumer<DisputeResolved>(sequencer, users, hub);
public sealed class CreditRepairGrantedConsumer(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub) : RecordConsumer<CreditRepairGranted>(sequencer, users, hub);

public sealed class JudgmentDefaulterListedBatchConsumer(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub)
    : RecordBatchConsumer<JudgmentDefaulterListedBatch, JudgmentDefaulterListed>(sequencer, users, hub)
{
    protected override IReadOnlyList<JudgmentDefaulterListed?>? RecordsOf(JudgmentDefaulterListedBatch batch) => batch.Records;
}

public sealed class AdministrativePenaltyRecordedBatchConsumer(RecordSequencer sequencer, BrokerUsers users, AuditPublishers hub)
    : RecordBatchConsumer<AdministrativePenaltyRecordedBatch, AdministrativePenaltyRecorded>(sequencer, users, hub)
{
    protected override IReadOnlyList<AdministrativePenaltyRecorded?>? RecordsOf(AdministrativePenaltyRecordedBatch batch) => batch.Records;
}
