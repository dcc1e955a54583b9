using System.Formats.Asn1;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using System.Text.Encodings.Web;
using Hub.Domain.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Hub.Host.Security;

/// <summary>An authenticated caller as ASP.NET Core carries it: the <see cref="Caller"/> and how it proved itself.</summary>
public sealed class HubIdentity(Caller caller, string method) : ClaimsIdentity([new Claim(ClaimTypes.Name, caller.Principal)], method)
{
    public Caller Caller { get; } = caller;
}

public static class CallerExtensions
{
    /// <summary>The authenticated caller; endpoints that declare a scope are only reached with one.</summary>
    public static Caller Caller(this HttpContext context) =>
        (context.User.Identity as HubIdentity)?.Caller ?? throw new InvalidOperationException("the endpoint declares no scope, so it has no caller");

    public static Caller? CallerOrNull(this HttpContext context) => (context.User.Identity as HubIdentity)?.Caller;
}

/// <summary>
/// Who is calling: a client certificate (already verified against the Hub's authority by Kestrel during the TLS
/// handshake — see <see cref="ClientCertificates"/>) or an API key in the <c>X-Api-Key</c> header (or as a bearer token in
/// <c>Authorization</c>). No credentials is no
/// result (the endpoint's policy then answers 401); wrong credentials fail with a reason the 401 answer carries.
/// </summary>
public sealed class HubAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AccessPolicy policy, IServiceProvider services, IOptions<AuthOptions> auth, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Hub";
    public const string ApiKeyHeader = "X-Api-Key";
    internal const string FailureItem = "hub:authentication-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Context.Connection.ClientCertificate is { } certificate)
        {
            // Kestrel verified it in the handshake when the Hub's authority is configured; verified again here, so that
            // a certificate some other configuration let through (another authority, an endpoint of its own) counts for nothing
            if (services.GetService<HubCertificateAuthority>() is not { } authority)
                return Fail("this Hub takes no client certificates (Hub:Auth:ClientCertificates:CaFile is not set)");
            if (!ClientCertificates.Verify(certificate, authority.Certificate, time.GetUtcNow()))
                return Fail("the client certificate is not one the Hub's authority issued for client authentication, or it has expired");
            var named = ClientCertificates.PrincipalOf(certificate);
            if (named is null) return Fail("the client certificate names no principal (SAN URI urn:hub:principal:CODE or subject CN)");
            return policy.Resolve(named) is { } caller
                ? Success(caller, "client-certificate")
                : Fail($"the client certificate names '{named}', which is no agency or role registered with the Hub");
        }
        var apiKey = Request.Headers.TryGetValue(ApiKeyHeader, out var header) ? header.ToString() : BearerToken(Request);
        if (apiKey is not null)
        {
            if (!auth.Value.ApiKeys.Enabled) return Fail("this Hub does not accept API keys: authenticate with a client certificate");
            if (services.GetService<ApiKeyService>() is not { } keys)
                return Fail("this Hub process (the court adapter running alone) has no key store: authenticate with a client certificate");
            var principal = await keys.AuthenticateAsync(apiKey.Trim(), Context.RequestAborted);
            if (principal is null) return Fail("the API key is not valid (unknown or revoked)");
            return policy.Resolve(principal) is { } caller
                ? Success(caller, "api-key")
                : Fail($"the API key belongs to '{principal}', which is no longer registered with the Hub");
        }
        return AuthenticateResult.NoResult();
    }

    /// <summary>An API key sent as <c>Authorization: Bearer KEY</c> (what Prometheus's <c>authorization</c> scrape setting
    /// sends); <c>X-Api-Key</c> wins when both are there.</summary>
    private static string? BearerToken(HttpRequest request)
    {
        var value = request.Headers.Authorization.ToString();
        return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && value.Length > 7 ? value[7..] : null;
    }

    private AuthenticateResult Success(Caller caller, string method) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new HubIdentity(caller, method)), SchemeName));

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureItem] = reason;
        return AuthenticateResult.Fail(reason);
    }
}

/// <summary>Mutual TLS: Kestrel asks HTTPS clients for a certificate and the handshake refuses one the Hub's authority did not issue.</summary>
/// <summary>The Hub's own certificate authority, when client certificates are configured.</summary>
public sealed record HubCertificateAuthority(X509Certificate2 Certificate);

public static partial class ClientCertificates
{
    public const string PrincipalUriPrefix = "urn:hub:principal:";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>The principal a certificate names: its SAN URI <c>urn:hub:principal:X</c>, else its subject CN.</summary>
    public static string? PrincipalOf(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is not X509SubjectAlternativeNameExtension san) continue;
            foreach (var uri in Uris(san))
                if (uri.StartsWith(PrincipalUriPrefix, StringComparison.OrdinalIgnoreCase)) return uri[PrincipalUriPrefix.Length..];
        }
        var cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return string.IsNullOrWhiteSpace(cn) ? null : cn;
    }

    /// <summary>The URIs of a subject-alternative-name extension (GeneralName [6], which .NET does not enumerate).</summary>
    private static List<string> Uris(X509SubjectAlternativeNameExtension san)
    {
        var uris = new List<string>();
        var names = new AsnReader(san.RawData, AsnEncodingRules.DER).ReadSequence();
        var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
        while (names.HasData)
        {
            if (names.PeekTag().HasSameClassAndValue(uriTag)) uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
            else names.ReadEncodedValue();
        }
        return uris;
    }

    /// <summary>True when <paramref name="certificate"/> chains to <paramref name="authority"/>, is valid at <paramref name="now"/>
    /// and may be used for client authentication. Revocation is not checked: the Hub's authority publishes no list;
    /// removing an agency from the registry is what ends its access.</summary>
    public static bool Verify(X509Certificate2 certificate, X509Certificate2 authority, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(ClientAuthentication));
        return chain.Build(certificate);
    }

    /// <summary>When <see cref="ClientCertificateOptions.CaFile"/> is set, every HTTPS endpoint (Kestrel's <c>Kestrel:Endpoints</c>
    /// configuration) asks for a client certificate and verifies it in the handshake.</summary>
    public static WebApplicationBuilder AddHubClientCertificates(this WebApplicationBuilder builder)
    {
        var caFile = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()?.ClientCertificates.CaFile;
        if (string.IsNullOrWhiteSpace(caFile)) return builder;
        if (!File.Exists(caFile)) throw new InvalidOperationException($"Hub:Auth:ClientCertificates:CaFile '{caFile}' does not exist");
        var authority = X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
        builder.Services.AddSingleton(new HubCertificateAuthority(authority));
        builder.WebHost.ConfigureKestrel((context, kestrel) => kestrel.ConfigureHttpsDefaults(https =>
        {
            var time = kestrel.ApplicationServices.GetRequiredService<TimeProvider>();
            var log = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClientCertificates));
            https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
            https.ClientCertificateValidation = (certificate, _, _) =>
            {
                if (Verify(certificate, authority, time.GetUtcNow())) return true;
                LogRefused(log, certificate.Subject, certificate.Issuer, certificate.NotAfter);
                return false;
            };
        }));
        return builder;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a client certificate in the TLS handshake: {Subject}, issued by {Issuer}, valid until {NotAfter:u} — not the Hub's authority's, expired, or not for client authentication")]
    private static partial void LogRefused(ILogger logger, string subject, string issuer, DateTime notAfter);
}
