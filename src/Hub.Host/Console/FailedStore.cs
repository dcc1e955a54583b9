using Hub.Aggregator;
using Microsoft.Extensions.Options;

namespace Hub.Host.OperatorConsole;

/// <summary>
/// The aggregator's error queue (<c>{queue}_error</c>) as the console works it: in server mode through
/// <see cref="ConsoleBroker"/>; on the embedded default there is no broker, the in-memory bus's error queue cannot be
/// read, and <see cref="Available"/> is false.
/// </summary>
public sealed class FailedStore(IOptions<AggregatorOptions> aggregator, IServiceProvider services)
{
    public const string EmbeddedProblem =
        "the embedded default runs an in-memory bus: a batch that fails after its retries is in the Hub's log, and there is no error queue to read. " +
        "Server mode (RabbitMQ) keeps failed messages in hub.aggregator_error, where the console reads, replays and discards them";

    private ConsoleBroker? Broker => services.GetService<ConsoleBroker>();

    public bool Available => Broker is not null;

    public string Queue => aggregator.Value.QueueName + "_error";

    public Task<ErrorQueueScan> ScanAsync(CancellationToken ct) => Broker!.ScanAsync(Queue, ct);

    public Task<FailedAction> ReplayAsync(Func<FailedMessage, bool> chosen, string by, CancellationToken ct) => Broker!.ReplayAsync(Queue, chosen, by, ct);

    public Task<FailedAction> DiscardAsync(Func<FailedMessage, bool> chosen, string by, CancellationToken ct) => Broker!.DiscardAsync(Queue, chosen, by, ct);
}
