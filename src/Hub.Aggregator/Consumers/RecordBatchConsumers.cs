using Hub.Aggregator.Applying;
using Hub.Contracts;
using Hub.Domain.Access;
using MassTransit;

namespace Hub.Aggregator.Consumers;

/// <summary>Thin consumers: hand each batch to the <see cref="RecordApplier"/>, each message with the publisher its
/// transport vouches for. One per inbound contract.</summary>
public abstract class RecordBatchConsumer<T>(RecordApplier applier, BrokerUsers users) : IConsumer<Batch<T>> where T : class
{
    public Task Consume(ConsumeContext<Batch<T>> context) =>
        applier.ApplyAsync(context.Message.Select(m =>
        {
            var (agency, user) = Publisher.Of(m, users);
            return new Incoming(m.MessageId?.ToString("N"), m.Message, agency, user);
        }).ToList(), context.CancellationToken);
}

/// <summary>Who published a message, as far as its transport can vouch for it.</summary>
public static class Publisher
{
    /// <summary>
    /// On RabbitMQ the AMQP <c>user_id</c>, which the broker validates against the connection's user (only an
    /// <c>impersonator</c> — the Hub's own adapter — may set another), mapped to its agency; headers are ignored there,
    /// since anyone allowed to publish can write any header. On the in-memory transport, where only this process
    /// publishes, the Hub adapter's <see cref="BrokerUsers.PublisherAgencyHeader"/>. Anything else: unknown.
    /// </summary>
    public static (string? Agency, string? User) Of(ConsumeContext message, BrokerUsers users)
    {
        if (message.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit))
        {
            var user = rabbit.Properties.UserId;
            return (users.AgencyOf(user)?.Code, string.IsNullOrEmpty(user) ? null : user);
        }
        if (message.ReceiveContext.InputAddress?.Scheme != "loopback") return (null, null);
        var named = message.Headers.Get<string>(BrokerUsers.PublisherAgencyHeader);
        return (string.IsNullOrWhiteSpace(named) ? null : users.AgencyOf(BrokerUsers.UserOf(named))?.Code, null);
    }
}

public sealed class JudgmentDefaulterListedConsumer(RecordApplier applier, BrokerUsers users) : RecordBatchConsumer<JudgmentDefaulterListed>(applier, users);
public sealed class JudgmentDefaulterRemovedConsumer(RecordApplier applier, BrokerUsers users) : RecordBatchConsumer<JudgmentDefaulterRemoved>(applier, users);
public sealed class AdministrativePenaltyRecordedConsumer(RecordApplier applier, BrokerUsers users) : RecordBatchConsumer<AdministrativePenaltyRecorded>(applier, users);
public sealed class OrganizationRegisteredConsumer(RecordApplier applier, BrokerUsers users) : RecordBatchConsumer<OrganizationRegistered>(applier, users);
