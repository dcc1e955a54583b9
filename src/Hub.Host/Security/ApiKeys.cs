using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Hub.Domain.Access;
using Hub.Storage;
using Hub.Storage.Audit;
using Microsoft.Extensions.Options;

namespace Hub.Host.Security;

/// <summary>
/// API keys: 32 random bytes, shown to their holder once and stored as their SHA-256 hash (a key has far too much
/// entropy for guessing to need a slow hash). Verified keys are remembered for <see cref="ApiKeyOptions.CacheFor"/>,
/// so a request costs no database read.
/// </summary>
public sealed class ApiKeyService(IndexDatabase db, AccessPolicy policy, TimeProvider time, IOptions<AuthOptions> options)
{
    private const string Prefix = "hub_";
    private readonly ConcurrentDictionary<string, (string Principal, string Id, long Until)> _verified = new(StringComparer.Ordinal);

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Creates a key for a principal the access policy knows; the key itself is returned only here.</summary>
    public async Task<(ApiKeyRow Row, string Key)> CreateAsync(string principal, string? label, string createdBy, CancellationToken ct)
    {
        var caller = policy.Resolve(principal) ?? throw new ArgumentException($"'{principal}' is no registered agency and no role:name the access policy knows", nameof(principal));
        var key = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var row = new ApiKeyRow
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()).ToString("N"), Principal = caller.Principal, KeyHash = Hash(key),
            Label = label, CreatedAt = time.GetUtcNow(), CreatedBy = createdBy,
        };
        await db.AddApiKeyAsync(row, ct);
        return (row, key);
    }

    /// <summary>The principal a key belongs to, or null for an unknown or revoked key.</summary>
    public async Task<string?> AuthenticateAsync(string key, CancellationToken ct)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length > 100) return null;
        var hash = Hash(key);
        var now = time.GetTimestamp();
        if (_verified.TryGetValue(hash, out var known) && known.Until > now) return known.Principal;
        var row = await db.FindApiKeyAsync(hash, ct);
        if (row is null || row.RevokedAt is not null)
        {
            _verified.TryRemove(hash, out _);
            return null;
        }
        _verified[hash] = (row.Principal, row.Id, now + (long)(options.Value.ApiKeys.CacheFor.TotalSeconds * time.TimestampFrequency));
        return row.Principal;
    }

    /// <summary>Revokes a key; in this process at once, in others within <see cref="ApiKeyOptions.CacheFor"/>. False when
    /// there is no such active key.</summary>
    public async Task<bool> RevokeAsync(string id, CancellationToken ct)
    {
        var revoked = await db.RevokeApiKeyAsync(id, ct);
        foreach (var (hash, entry) in _verified)
            if (entry.Id == id) _verified.TryRemove(hash, out _);
        return revoked;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// First start: when the Hub holds no API key yet and <see cref="ApiKeyOptions.Bootstrap"/> names principals, each gets a
/// key, printed once in the log and written to <see cref="ApiKeyOptions.BootstrapFile"/> (mode 600), so the embedded
/// default can be tried without any set-up. Runs after the schema migration.
/// </summary>
internal sealed partial class ApiKeyBootstrap(
    IndexDatabase db, ApiKeyService keys, IAuditTrail audit, IOptions<AuthOptions> options, IHostEnvironment env, TimeProvider time,
    ILogger<ApiKeyBootstrap> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value.ApiKeys;
        if (!o.Enabled || o.Bootstrap.Count == 0 || await db.CountApiKeysAsync(cancellationToken) > 0) return;
        var lines = new List<string>();
        foreach (var principal in o.Bootstrap)
        {
            var (row, key) = await keys.CreateAsync(principal, "first start", "hub", cancellationToken);
            lines.Add($"{row.Principal} {key}");
            await audit.WriteAsync(new AuditEntry(time.GetUtcNow(), "hub", null, "api-keys.create", Scopes.Operate, null, "created",
                $"key {row.Id} for {row.Principal} (first start)", "host"), cancellationToken);
        }
        var file = Path.GetFullPath(Path.Combine(env.ContentRootPath, o.BootstrapFile));
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "# principal key — created at the Hub's first start; keep secret, the Hub stores only their hashes\n" +
            string.Join('\n', lines) + "\n", cancellationToken);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        LogCreated(lines.Count, file, string.Join(Environment.NewLine, lines.Select(l => "  " + l)));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "First start: created {Count} API keys, shown this once and written to {File} (send one as the X-Api-Key header):\n{Keys}")]
    private partial void LogCreated(int count, string file, string keys);
}
