using System.Net;
using System.Net.Sockets;

namespace Hub.Testing;

/// <summary>
/// A loopback TCP forwarder to a real server that a test can take away and bring back: <see cref="Stop"/> refuses new
/// connections and cuts the live ones, as a server going down does to its clients; <see cref="Start"/> listens again on
/// the same port. For outages of a server other test projects share, which a test must not stop for them.
/// </summary>
public sealed class TcpProxy(int targetPort) : IAsyncDisposable
{
    private readonly List<TcpClient> _live = [];
    private readonly Lock _gate = new();
    private TcpListener? _listener;
    private CancellationTokenSource? _running;

    public int Port { get; private set; }

    public void Start()
    {
        lock (_gate)
        {
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _running = new CancellationTokenSource();
            _ = AcceptAsync(_listener, _running.Token);
        }
    }

    public void Stop()
    {
        lock (_gate)
        {
            _running?.Cancel();
            _listener?.Stop();
            foreach (var c in _live) c.Dispose();
            _live.Clear();
        }
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(ct); }
            catch (Exception) { return; }
            var server = new TcpClient();
            try { await server.ConnectAsync(IPAddress.Loopback, targetPort, ct); }
            catch (Exception) { client.Dispose(); server.Dispose(); continue; }
            lock (_gate) { _live.Add(client); _live.Add(server); }
            _ = PumpAsync(client, server, ct);
            _ = PumpAsync(server, client, ct);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to, CancellationToken ct)
    {
        try { await from.GetStream().CopyToAsync(to.GetStream(), ct); }
        catch (Exception) { }
        finally { from.Dispose(); to.Dispose(); }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}
