namespace Hub.Host.Security;

/// <summary>Configuration section <c>Hub:Auth</c>: how callers prove who they are.</summary>
public sealed class AuthOptions
{
    public const string Section = "Hub:Auth";

    public ApiKeyOptions ApiKeys { get; set; } = new();

    public ClientCertificateOptions ClientCertificates { get; set; } = new();
}

/// <summary><c>Hub:Auth:ApiKeys</c>. Keys are sent in the <c>X-Api-Key</c> header and stored as SHA-256 hashes only.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Accept API keys. Server deployments where every caller has a client certificate may turn them off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Principals (agency codes, or <c>role:name</c>) that get a key at first start, when the Hub holds no key
    /// yet. The embedded default lists a court, an operator and an auditor so that it can be tried at once.</summary>
    public List<string> Bootstrap { get; set; } = [];

    /// <summary>Where first-start keys are written (readable only by the Hub's user), relative to the content root.
    /// They are also printed once in the log. The Hub keeps only their hashes.</summary>
    public string BootstrapFile { get; set; } = "data/initial-api-keys.txt";

    /// <summary>How long a verified key is remembered before the database is asked again (also how long a revoked key
    /// may still work in a running process).</summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary><c>Hub:Auth:ClientCertificates</c>: mutual TLS on Kestrel's HTTPS endpoints.</summary>
public sealed class ClientCertificateOptions
{
    /// <summary>PEM file of the Hub's own certificate authority. When set, every HTTPS endpoint asks for a client
    /// certificate and the TLS handshake refuses one that this authority did not issue, that has expired, or that is
    /// not for client authentication. The agency code is the certificate's SAN URI <c>urn:hub:principal:CODE</c>, or
    /// else its subject common name.</summary>
    public string? CaFile { get; set; }
}
