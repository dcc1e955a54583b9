using System.Text;
using Hub.Domain.Access;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.RabbitMqTransport;
using MassTransit.RabbitMqTransport.Configuration;
using MassTransit.RabbitMqTransport.Middleware;
using MassTransit.Transports;
using RabbitMQ.Client;

namespace Hub.Aggregator.Consumers;

/// <summary>
/// Who published a message delivered by RabbitMQ, as the broker vouches for it — also once the Hub has published it
/// again in the first publisher's place. RabbitMQ checks the AMQP <c>user_id</c> of every publish against the
/// connection's user, and lets only an <c>impersonator</c> set another's; <c>hub-aggregator</c> is none, so when it moves
/// an agency's message to its error queue, or an operator replays one, the copy must carry the Hub's own user — and the
/// agency the broker validated at the start goes with it in <see cref="BrokerUsers.VerifiedPublisherHeader"/>, which
/// counts only on a message a Hub user published.
/// </summary>
public static class VouchedPublisher
{
    private const string Header = BrokerUsers.VerifiedPublisherHeader;

    /// <summary>
    /// The broker user vouched for as the first publisher of a delivered message, or null when none was: its validated
    /// <c>user_id</c>; or, when that is one of the Hub's own users (<paramref name="hub"/>) and the message carries
    /// <see cref="BrokerUsers.VerifiedPublisherHeader"/>, the user that header names (empty: none) — the Hub republished
    /// it. A Hub user's message without the header is the Hub's own. Anyone else's header counts for nothing.
    /// </summary>
    public static string? Of(IReadOnlyBasicProperties properties, AuditPublishers hub)
    {
        var user = properties.UserId;
        if (string.IsNullOrEmpty(user)) return null;
        if (!hub.Allows(user) || properties.Headers is not { } headers || !headers.TryGetValue(Header, out var named)) return user;
        var text = named switch
        {
            byte[] b => Encoding.UTF8.GetString(b),
            string s => s,
            _ => null,
        };
        return string.IsNullOrEmpty(text) ? null : text;
    }

    /// <summary>Makes <paramref name="copy"/> (the properties of a message delivered with <paramref name="delivered"/>) a
    /// publish of the Hub's in the first publisher's place: <c>user_id</c> the Hub's own user, and the header naming the
    /// publisher vouched for, or empty — replacing whatever header of that name, in any case, the message came with.</summary>
    public static void Vouch(BasicProperties copy, IReadOnlyBasicProperties delivered, AuditPublishers hub)
    {
        var own = hub.OwnUser ?? throw new InvalidOperationException("only a RabbitMQ connection's user can publish in another's place");
        var publisher = Of(delivered, hub);
        var headers = copy.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(copy.Headers);
        foreach (var key in headers.Keys.Where(k => string.Equals(k, Header, StringComparison.OrdinalIgnoreCase)).ToList()) headers.Remove(key);
        headers[Header] = Encoding.UTF8.GetBytes(publisher ?? "");
        copy.Headers = headers;
        copy.UserId = own;
    }

    /// <summary>
    /// Replaces MassTransit's moves to <c>{queue}_error</c> (a message that failed for good) and <c>{queue}_skipped</c> (a
    /// message no consumer takes) on a RabbitMQ receive endpoint with the same moves — same exchanges and queues, declared
    /// from MassTransit's own settings, same fault headers — that publish as the Hub (<see cref="Vouch"/>). MassTransit's
    /// own copy the delivered properties whole, <c>user_id</c> included: for a user that is no impersonator the broker
    /// refuses the publish (406 PRECONDITION_FAILED), closes the channel, and the message comes back for ever.
    /// </summary>
    /// <param name="moved">Told of every message moved to the error queue (the queue, the copy's properties with the fault
    /// headers, the body) once the broker has it: the console's index of the error queue. Its failure is its own — the
    /// move stands.</param>
    public static void MoveAsTheHub(this IRabbitMqReceiveEndpointConfigurator endpoint, IRabbitMqSendTopology topology, AuditPublishers hub,
        Func<string, IReadOnlyBasicProperties, ReadOnlyMemory<byte>, Task>? moved = null)
    {
        if (endpoint is not IRabbitMqReceiveEndpointConfiguration configuration)
            throw new InvalidOperationException($"MassTransit's RabbitMQ receive endpoint is no {nameof(IRabbitMqReceiveEndpointConfiguration)} any more: the Hub cannot move failed messages as itself");
        // the settings are read at the first move, once the endpoint is configured: MassTransit derives its own the same way
        var error = new Lazy<ErrorMove>(() => new ErrorMove(topology.GetErrorSettings(configuration.Settings), hub, moved));
        var skipped = new Lazy<SkippedMove>(() => new SkippedMove(topology.GetDeadLetterSettings(configuration.Settings), hub));
        endpoint.ConfigureError(x =>
        {
            x.UseFilter(new GenerateFaultFilter());
            x.UseFilter(new MoveFilter<ExceptionReceiveContext>(c => error.Value.Send(c)));
        });
        endpoint.ConfigureDeadLetter(x => x.UseFilter(new MoveFilter<ReceiveContext>(c => skipped.Value.Send(c, "dead-letter"))));
    }

    private sealed class ErrorMove(ErrorSettings settings, AuditPublishers hub, Func<string, IReadOnlyBasicProperties, ReadOnlyMemory<byte>, Task>? moved)
        : RabbitMqMoveTransport<ErrorSettings>(settings.ExchangeName, new ConfigureRabbitMqTopologyFilter<ErrorSettings>(settings, settings.GetBrokerTopology())),
            IErrorTransport
    {
        public async Task Send(ExceptionReceiveContext context)
        {
            BasicProperties? copy = null;
            await Move(context, (properties, headers) =>
            {
                headers.SetExceptionHeaders(context);
                properties.ClearExpiration();
                Vouch(properties, Delivered(context), hub);
                copy = properties;
            });
            if (moved is null || copy is null) return;
            try
            {
                await moved(settings.ExchangeName, copy, context.Body.GetBytes());
            }
            catch (Exception ex)
            {
                // the message is in the error queue: throwing now would have it moved again, a second copy
                LogContext.Warning?.Log(ex, "A message moved to {Queue} could not be indexed for the console", settings.ExchangeName);
            }
        }
    }

    private sealed class SkippedMove(DeadLetterSettings settings, AuditPublishers hub)
        : RabbitMqMoveTransport<DeadLetterSettings>(settings.ExchangeName, new ConfigureRabbitMqTopologyFilter<DeadLetterSettings>(settings, settings.GetBrokerTopology())),
            IDeadLetterTransport
    {
        public Task Send(ReceiveContext context, string reason) => Move(context, (properties, headers) =>
        {
            headers.Set(MessageHeaders.Reason, reason ?? "Unspecified");
            Vouch(properties, Delivered(context), hub);
        });
    }

    private static IReadOnlyBasicProperties Delivered(ReceiveContext context) =>
        context.TryGetPayload(out RabbitMqBasicConsumeContext? rabbit)
            ? rabbit.Properties
            : throw new InvalidOperationException("a message to move as the Hub was not delivered by RabbitMQ");

    private sealed class MoveFilter<T>(Func<T, Task> move) : IFilter<T> where T : class, PipeContext
    {
        public async Task Send(T context, IPipe<T> next)
        {
            await move(context);
            await next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("move-as-the-hub");
    }
}
