using Hub.Contracts;
using Hub.Storage;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Hub.Aggregator.Consumers;

/// <summary>
/// Records the heartbeat of a Hub process without an index database (the court adapter alone) as its row in
/// <c>hub_instances</c>, on the aggregator's small queue of heartbeats (never behind a backlog of records). Seen at the
/// time it was sent, never later than now (a beat late in the queue says the process was alive then, not now). On
/// RabbitMQ only a beat published by one of the Hub's own broker users (<see cref="AuditPublishers"/>) is taken; another
/// is dropped and logged — a heartbeat is no record, and nothing is lost with it.
/// </summary>
public sealed partial class HubHeartbeatConsumer(IndexDatabase db, AuditPublishers publishers, TimeProvider time, ILogger<HubHeartbeatConsumer> log)
    : IConsumer<HubHeartbeat>
{
    public Task Consume(ConsumeContext<HubHeartbeat> context)
    {
        if (context.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) && VouchedPublisher.Of(rabbit.Properties, publishers) is var user &&
            !publishers.Allows(user))
        {
            LogRefused(user ?? "(no user_id)");
            return Task.CompletedTask;
        }
        var m = context.Message;
        var now = time.GetUtcNow();
        return db.BeatAsync(new HubInstanceRow
        {
            InstanceId = Bounded(m.InstanceId, 200), Services = Bounded(m.Services, 200), Host = Bounded(m.Host, 200), Version = Bounded(m.Version, 100),
            ProcessId = m.ProcessId, StartedAt = m.StartedAt, LastSeenAt = m.SentAt < now ? m.SentAt : now,
        }, context.CancellationToken);
    }

    private static string Bounded(string? value, int length) =>
        Hub.Domain.Intake.TextGuard.Storable(value) is { } v ? (v.Length > length ? v[..length] : v) : "";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a heartbeat published by broker user {User}: only the Hub's own services beat")]
    private partial void LogRefused(string user);
}
