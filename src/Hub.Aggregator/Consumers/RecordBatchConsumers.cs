using Hub.Aggregator.Applying;
using Hub.Contracts;
using MassTransit;

namespace Hub.Aggregator.Consumers;

/// <summary>Thin consumers: hand each batch to the <see cref="RecordApplier"/>. One per inbound contract.</summary>
public abstract class RecordBatchConsumer<T>(RecordApplier applier) : IConsumer<Batch<T>> where T : class
{
    public Task Consume(ConsumeContext<Batch<T>> context) =>
        applier.ApplyAsync(context.Message.Select(m => new Incoming(m.MessageId?.ToString("N"), m.Message)).ToList(), context.CancellationToken);
}

public sealed class JudgmentDefaulterListedConsumer(RecordApplier applier) : RecordBatchConsumer<JudgmentDefaulterListed>(applier);
public sealed class JudgmentDefaulterRemovedConsumer(RecordApplier applier) : RecordBatchConsumer<JudgmentDefaulterRemoved>(applier);
public sealed class AdministrativePenaltyRecordedConsumer(RecordApplier applier) : RecordBatchConsumer<AdministrativePenaltyRecorded>(applier);
public sealed class OrganizationRegisteredConsumer(RecordApplier applier) : RecordBatchConsumer<OrganizationRegistered>(applier);
