using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Hub.Storage;
using Microsoft.Extensions.DependencyInjection;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// Mutual TLS through Kestrel with real certificates: the authority, the Hub's server certificate and two agencies'
/// certificates are made by the deploy script (<c>deploy/pki/hub-ca.sh</c>, openssl) exactly as an operator would; an
/// expired certificate and one from a foreign authority are made here. The embedded default's storage is enough: TLS is
/// the door, not the bus.
/// </summary>
[NonParallelizable]
public sealed class MutualTlsTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"hub-tls-{Guid.NewGuid():N}");
    private HubFactory _hub = default!;
    private Uri _base = default!;
    private X509Certificate2 _authority = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        Directory.CreateDirectory(_dir);
        var pki = Path.Combine(_dir, "pki");
        await Script("init", pki);
        await Script("server", pki, "localhost", "127.0.0.1");
        await Script("client", pki, Court);
        await Script("client", pki, "FOOD-35");
        _authority = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(pki, "ca.pem")));

        var port = FreePort();
        _base = new Uri($"https://127.0.0.1:{port}/");
        var settings = HubFactory.Embedded(Path.Combine(_dir, "hub.db"));
        settings["Kestrel:Endpoints:Https:Url"] = _base.ToString();
        settings["Kestrel:Endpoints:Https:Certificate:Path"] = Path.Combine(pki, "server.pem");
        settings["Kestrel:Endpoints:Https:Certificate:KeyPath"] = Path.Combine(pki, "server.key");
        settings["Hub:Auth:ClientCertificates:CaFile"] = Path.Combine(pki, "ca.pem");
        _hub = new HubFactory(settings);
        _hub.UseKestrel();
        _hub.StartServer();
        using var probe = Client(null);
        await Eventually.Get(async () => (await probe.GetAsync("health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready over HTTPS");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        if (_hub is not null) await _hub.DisposeAsync();
        _authority?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private X509Certificate2 Issued(string principal) =>
        X509Certificate2.CreateFromPemFile(Path.Combine(_dir, "pki", principal + ".pem"), Path.Combine(_dir, "pki", principal + ".key"));

    /// <summary>An HTTPS client that trusts the Hub's authority and presents <paramref name="certificate"/> (none when null).</summary>
    private HttpClient Client(X509Certificate2? certificate)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // present the certificate whatever the server names as acceptable issuers: the server is what must refuse
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate!,
                RemoteCertificateValidationCallback = (_, server, _, errors) =>
                {
                    if (errors == SslPolicyErrors.None) return true;
                    if (server is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(_authority);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(server as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(server.GetRawCertData()));
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = _base, Timeout = TimeSpan.FromSeconds(30) };
    }

    [Test]
    public async Task A_court_with_its_certificate_posts_its_notices_and_is_known_by_the_certificate()
    {
        using var court = Client(Issued(Court));
        using var who = await court.GetAsync("api/whoami");
        var me = JsonDocument.Parse(await who.Content.ReadAsStringAsync()).RootElement;
        Assert.That(me.GetProperty("principal").GetString(), Is.EqualTo(Court));
        Assert.That(me.GetProperty("method").GetString(), Is.EqualTo("client-certificate"));

        using var post = await court.PostAsJsonAsync($"api/adapters/court/{Court}/notices", Company("TLS-1", uscc: Hub.Testing.TestIdentifiers.Uscc(4101)));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task A_court_certificate_posting_for_another_court_gets_403_and_the_attempt_is_audited()
    {
        using var court = Client(Issued(Court));
        using var post = await court.PostAsJsonAsync("api/adapters/court/COURT-35-0102/notices", Company("TLS-2"));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var problem = JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement;
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("you are authenticated as COURT-34-1122; you may not act for agency 'COURT-35-0102'"));

        var db = _hub.Services.GetRequiredService<IndexDatabase>();
        await Eventually.Get(async () => (await db.AuditLatestAsync(200, CancellationToken.None))
            .FirstOrDefault(r => r.Principal == Court && r.Outcome == "refused-forbidden" && r.Detail!.Contains("COURT-35-0102", StringComparison.Ordinal)), "the refusal on the audit log");
    }

    [Test]
    public async Task A_bureau_certificate_posting_court_notices_gets_403_naming_the_scope()
    {
        using var bureau = Client(Issued("FOOD-35"));
        using var post = await bureau.PostAsJsonAsync("api/adapters/court/FOOD-35/notices", Company("TLS-3"));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString(),
            Is.EqualTo("this needs the scope 'court-notices:publish', which FOOD-35 does not hold"));
    }

    [Test]
    public async Task No_certificate_and_no_key_gets_401()
    {
        using var nobody = Client(null);
        using var post = await nobody.PostAsJsonAsync($"api/adapters/court/{Court}/notices", Company("TLS-4"));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task An_expired_certificate_is_refused_in_the_TLS_handshake()
    {
        using var authority = X509Certificate2.CreateFromPemFile(Path.Combine(_dir, "pki", "ca.pem"), Path.Combine(_dir, "pki", "ca.key"));
        // the authority is seconds old (the script made it): a certificate valid for its first second has expired
        var from = new DateTimeOffset(authority.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        using var expired = ClientCertificate(Court, authority, from, from.AddSeconds(1));
        // certificate times have whole seconds: wait, if need be, until the second it was valid in has passed
        while (TimeProvider.System.GetUtcNow().UtcDateTime <= expired.NotAfter.ToUniversalTime().AddSeconds(1)) await Task.Delay(200);
        using var client = Client(expired);
        var ex = Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("api/whoami"));
        Assert.That(ex!.HttpRequestError, Is.AnyOf(HttpRequestError.SecureConnectionError, HttpRequestError.ResponseEnded, HttpRequestError.Unknown), ex.ToString());
    }

    [Test]
    public void A_certificate_from_another_authority_is_refused_in_the_TLS_handshake()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Somebody else's CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = TimeProvider.System.GetUtcNow();
        using var foreign = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        using var forged = ClientCertificate(Court, foreign, now.AddDays(-1), now.AddDays(30));
        using var client = Client(forged);
        Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("api/whoami"));
    }

    /// <summary>A client certificate naming <paramref name="principal"/> as the deploy script does, signed by <paramref name="issuer"/>.</summary>
    private static X509Certificate2 ClientCertificate(string principal, X509Certificate2 issuer, DateTimeOffset from, DateTimeOffset until)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"O=The Hub, CN={principal}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("urn:hub:principal:" + principal));
        request.CertificateExtensions.Add(san.Build());
        using var signed = request.Create(issuer, from, until, RandomNumberGenerator.GetBytes(8));
        return signed.CopyWithPrivateKey(key);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task Script(params string[] args)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Hub.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no Hub.sln above the test");
        var start = new ProcessStartInfo("bash", [Path.Combine(root, "deploy", "pki", "hub-ca.sh"), .. args]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, $"hub-ca.sh {string.Join(' ', args)}: {stderr}");
    }
}
