using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Hub.Host.Composition;

/// <summary>
/// The broker as <c>ConnectionStrings:RabbitMq</c> names it: <c>amqp://user:password@host[:port]/vhost</c>, or
/// <c>amqps://</c> for TLS (port 5671 unless given). User, password and vhost are percent-decoded (<c>%2F</c> is
/// <c>/</c>); no vhost is <c>/</c>. Credentials are required: a server never falls back to <c>guest</c>.
/// </summary>
public sealed class BrokerAddress
{
    public const string ConnectionStringName = "RabbitMq";
    private const string Setting = "ConnectionStrings:" + ConnectionStringName;

    private BrokerAddress(string host, ushort port, string virtualHost, string user, string password, bool tls)
    {
        Host = host;
        Port = port;
        VirtualHost = virtualHost;
        User = user;
        Password = password;
        Tls = tls;
    }

    public string Host { get; }
    public ushort Port { get; }
    public string VirtualHost { get; }
    public string User { get; }
    public string Password { get; }
    public bool Tls { get; }

    /// <summary>Reads the connection string. Errors name the setting and what is wrong with it, never its text: it
    /// holds the password.</summary>
    public static BrokerAddress Parse(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw Invalid("is not set (Hub:Bus:Transport is RabbitMq); expected amqp://user:password@host:port/vhost or amqps://…");
        if (!Uri.TryCreate(connectionString.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            throw Invalid("is not an amqp:// or amqps:// address (amqp://user:password@host:port/vhost)");
        if (uri.Host.Length == 0) throw Invalid("names no host");
        var tls = uri.Scheme == "amqps";
        var credentials = uri.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(credentials[0]);
        var password = credentials.Length == 2 ? Uri.UnescapeDataString(credentials[1]) : "";
        if (user.Length == 0 || password.Length == 0)
            throw Invalid("has no user name and password (amqp://user:password@host/vhost): the Hub connects as its own broker user, never as guest");
        var path = uri.AbsolutePath.TrimStart('/');
        if (path.Contains('/')) throw Invalid("has more than one path segment; write a vhost containing '/' as %2F");
        var vhost = Uri.UnescapeDataString(path);
        var port = uri.IsDefaultPort || uri.Port < 0 ? (tls ? 5671 : 5672) : uri.Port;
        return new BrokerAddress(uri.IdnHost, (ushort)port, vhost.Length == 0 ? "/" : vhost, user, password, tls);
    }

    /// <summary>Configures MassTransit's host: credentials, and for amqps:// TLS 1.2+ with the server's certificate
    /// checked against <see cref="Host"/> — against the machine's roots, or only <paramref name="caFile"/> when given.</summary>
    public void Configure(IRabbitMqBusFactoryConfigurator cfg, string? caFile)
    {
        if (caFile is not null && !Tls)
            throw new OptionsValidationException(BusTlsOptions.Section, typeof(BusTlsOptions),
                [$"Hub:Bus:Tls:CaFile is set but {Setting} is not amqps://: the CA would trust nothing"]);
        var root = caFile is null ? null : LoadCa(caFile);
        cfg.Host(Host, Port, VirtualHost, h =>
        {
            h.Username(User);
            h.Password(Password);
            if (!Tls) return;
            h.UseSsl(s =>
            {
                s.ServerName = Host;
                s.Protocol = SslProtocols.Tls12 | SslProtocols.Tls13;
                s.EnforcePolicyErrors(SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch |
                                      SslPolicyErrors.RemoteCertificateNotAvailable);
                if (root is not null) s.CertificateValidationCallback = TrustOnly(root);
            });
        });
    }

    /// <summary>A RabbitMQ.Client connection factory for the same broker, user and TLS rules as <see cref="Configure"/>:
    /// for the Hub's own plain-AMQP work beside MassTransit (subscriber queues and the events published to them).</summary>
    public RabbitMQ.Client.ConnectionFactory CreateFactory(string? caFile, string clientName)
    {
        if (caFile is not null && !Tls)
            throw new OptionsValidationException(BusTlsOptions.Section, typeof(BusTlsOptions),
                [$"Hub:Bus:Tls:CaFile is set but {Setting} is not amqps://: the CA would trust nothing"]);
        var root = caFile is null ? null : LoadCa(caFile);
        var factory = new RabbitMQ.Client.ConnectionFactory
        {
            HostName = Host, Port = Port, VirtualHost = VirtualHost, UserName = User, Password = Password, ClientProvidedName = clientName,
            AutomaticRecoveryEnabled = false,
        };
        if (Tls)
            factory.Ssl = new RabbitMQ.Client.SslOption
            {
                Enabled = true, ServerName = Host, Version = SslProtocols.Tls12 | SslProtocols.Tls13,
                AcceptablePolicyErrors = SslPolicyErrors.None,
                CertificateValidationCallback = root is null ? null : TrustOnly(root),
            };
        return factory;
    }

    /// <summary>Never the password: this may end up in a log or an exception.</summary>
    public override string ToString() => $"{(Tls ? "amqps" : "amqp")}://{User}@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";

    /// <summary>
    /// Accepts the broker's certificate only when its name matches and its chain ends at <paramref name="root"/> —
    /// a private CA trusted for the broker alone, not added to the machine's roots and not a switch that turns
    /// validation off.
    /// </summary>
    internal static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 root) => (_, certificate, chain, errors) =>
    {
        if (certificate is null) return false;
        // the system judged the chain against its own roots, which do not hold the private CA: that verdict is replaced
        // below; any other error (name mismatch, no certificate) stands
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(root);
        // a private CA usually publishes no revocation list; an online check would fail every connection
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            foreach (var element in chain.ChainElements)
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    };

    private static X509Certificate2 LoadCa(string file)
    {
        try
        {
            return X509Certificate2.CreateFromPem(File.ReadAllText(file));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new OptionsValidationException(BusTlsOptions.Section, typeof(BusTlsOptions),
                [$"Hub:Bus:Tls:CaFile '{file}' is not a readable PEM certificate: {ex.Message}"]);
        }
    }

    private static InvalidOperationException Invalid(string what) => new($"{Setting} {what}");
}
