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

    public Task<ErrorQueueScan> ScanAsync(CancellationToken ct) => Guarded(() => Broker!.ScanAsync(Queue, ct));

    public Task<FailedAction> ReplayAsync(Func<FailedMessage, bool> chosen, string by, CancellationToken ct) =>
        Guarded(() => Broker!.ReplayAsync(Queue, chosen, by, ct));

    public Task<FailedAction> DiscardAsync(Func<FailedMessage, bool> chosen, string by, CancellationToken ct) =>
        Guarded(() => Broker!.DiscardAsync(Queue, chosen, by, ct));

    /// <summary>The broker away (refused, closed, timed out) is the operator's "try again later", not a failure of the Hub;
    /// whatever was not acknowledged stays in the error queue.</summary>
    private static async Task<T> Guarded<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.AlreadyClosedException
                                       or RabbitMQ.Client.Exceptions.OperationInterruptedException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new BrokerUnavailableException(ex);
        }
    }
}

/// <summary>The broker could not be reached or dropped the console's channel: nothing acknowledged, nothing lost.</summary>
public sealed class BrokerUnavailableException(Exception inner)
    : Exception("the broker cannot be reached (or closed the console's channel); nothing was changed that the broker did not confirm", inner);
