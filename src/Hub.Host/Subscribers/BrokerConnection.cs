using Hub.Domain.Subscriptions;
using Hub.Host.Composition;
using RabbitMQ.Client;

namespace Hub.Host.Subscribers;

/// <summary>
/// The Hub's own RabbitMQ.Client connection beside MassTransit's, for what MassTransit does not do: plain-JSON events on
/// the topic exchange subscribers are bound to, and the subscriber queues and their bindings. Opened on first use and
/// again after the broker dropped it (a restart); channels come from a small pool, each with publisher confirms.
/// </summary>
public sealed class BrokerConnection(BrokerAddress address, string? caFile) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Stack<IChannel> _idle = new();
    private IConnection? _connection;

    /// <summary>Channels kept open between publishes: at least as many as the relay publishes at once
    /// (<c>OutboxPublishConcurrency</c>, 32), so a steady relay opens none — a channel opened per publish cost the
    /// broker more than the publish (found by the fan-out benchmark: 83,000 channels in one run).</summary>
    public const int MaxIdleChannels = 64;

    /// <summary>A channel with publisher confirms; give it back with <see cref="ReturnAsync"/>, or dispose it when it failed.</summary>
    public async Task<IChannel> RentAsync(CancellationToken ct)
    {
        IConnection connection;
        await _gate.WaitAsync(ct);
        try
        {
            while (_idle.TryPop(out var idle))
            {
                if (idle.IsOpen && _connection is { IsOpen: true }) return idle;
                await idle.DisposeAsync();
            }
            if (_connection is not { IsOpen: true })
            {
                if (_connection is not null) await _connection.DisposeAsync();
                _connection = null;
                _connection = await address.CreateFactory(caFile, "hub-events").CreateConnectionAsync(ct);
                // the exchange events go to exists before the first publish, whoever starts first (idempotent)
                await using var setup = await _connection.CreateChannelAsync(cancellationToken: ct);
                await setup.ExchangeDeclareAsync(EventRouting.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
            }
            connection = _connection;
        }
        finally
        {
            _gate.Release();
        }
        // opened outside the lock: returning a channel never waits behind a channel being opened
        return await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
    }

    /// <summary>Back to the pool when it is still open; otherwise gone.</summary>
    public async Task ReturnAsync(IChannel channel)
    {
        if (!channel.IsOpen)
        {
            await channel.DisposeAsync();
            return;
        }
        await _gate.WaitAsync();
        try
        {
            if (_idle.Count < MaxIdleChannels) _idle.Push(channel);
            else await channel.DisposeAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryPop(out var c)) await c.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
