using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hub.Integration.Tests;

/// <summary>One POST a <see cref="WebhookReceiver"/> received, and the status it answered.</summary>
internal sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, int Status)
{
    public JsonElement Event => JsonDocument.Parse(Body).RootElement;
    public string EventId => Headers["X-Hub-Event-Id"];
    public int Attempt => int.Parse(Headers["X-Hub-Delivery-Attempt"], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Checks <c>X-Hub-Signature-256</c> as docs/contracts.md tells a receiver to: HMAC-SHA256 of the raw body,
    /// keyed with the UTF-8 bytes of the secret, as <c>sha256=</c> and lower-case hex; compared in constant time.</summary>
    public bool SignedWith(string secret)
    {
        var expected = Encoding.ASCII.GetBytes("sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Body)).ToLowerInvariant());
        return Headers.TryGetValue("X-Hub-Signature-256", out var sent) && CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(sent));
    }
}

/// <summary>
/// A webhook receiver as an agency runs one: a real HTTP server (Kestrel, plain HTTP on 127.0.0.1) that records every
/// POST with its headers and body and answers with the status <see cref="Answer"/> picks for it.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<Received> _received = new();
    private WebApplication _app = default!;

    /// <summary>The status for a request (path, headers, body; Status not yet set). 200 unless told otherwise.</summary>
    public Func<Received, int> Answer { get; set; } = _ => 200;

    public Uri BaseUrl { get; private set; } = default!;

    public IReadOnlyList<Received> Requests => _received.ToArray();

    public IReadOnlyList<Received> On(string path) => _received.Where(r => r.Path == path).ToList();

    public Uri Url(string path) => new(BaseUrl, path);

    /// <summary>Starts on <paramref name="port"/> (0: any free one).</summary>
    public static async Task<WebhookReceiver> StartAsync(int port = 0)
    {
        var receiver = new WebhookReceiver();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver._app = app;
        receiver.BaseUrl = new Uri(app.Urls.First());
        return receiver;
    }

    /// <summary>A loopback port nothing listens on (yet): POSTs to it are refused, as to an endpoint that is down.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body);
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new Received(http.Request.Path.Value ?? "", headers, body.ToArray(), 0);
        var status = Answer(request);
        _received.Enqueue(request with { Status = status });
        http.Response.StatusCode = status;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
