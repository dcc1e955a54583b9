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
    private readonly ConcurrentDictionary<string, long> _refused = new(StringComparer.Ordinal);

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Creates a key for a principal the access policy knows, on the audit log in the same transaction; the key
    /// itself is returned only here.</summary>
    public async Task<(ApiKeyRow Row, string Key)> CreateAsync(string principal, string? label, Caller? createdBy, CancellationToken ct)
    {
        var made = Make(principal, label, createdBy);
        await db.AddApiKeysAsync([(made.Row, made.Audit)], ct);
        return (made.Row, made.Key);
    }

    /// <summary>A new key and the audit entry of its making, not stored yet.</summary>
    internal (ApiKeyRow Row, string Key, AuditEntry Audit) Make(string principal, string? label, Caller? createdBy)
    {
        var caller = policy.Resolve(principal) ?? throw new ArgumentException($"'{principal}' is no registered agency and no role:name the access policy knows", nameof(principal));
        var key = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var row = new ApiKeyRow
        {
            Id = Guid.CreateVersion7(now).ToString("N"), Principal = caller.Principal, KeyHash = Hash(key),
            Label = label, CreatedAt = now, CreatedBy = createdBy?.Principal ?? "hub",
        };
        var audit = new AuditEntry(now, row.CreatedBy, createdBy?.AgencyCode, "api-keys.create", Scopes.Operate, null, "created",
            $"key {row.Id} for {row.Principal}{(createdBy is null ? " (first start)" : "")}", createdBy is null ? "host" : "http");
        return (row, key, audit);
    }

    /// <summary>The principal a key belongs to, or null for an unknown or revoked key.</summary>
    public async Task<string?> AuthenticateAsync(string key, CancellationToken ct)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length > 100) return null;
        var hash = Hash(key);
        var now = time.GetTimestamp();
        if (_verified.TryGetValue(hash, out var known) && known.Until > now) return known.Principal;
        if (_refused.TryGetValue(hash, out var refusedUntil) && refusedUntil > now) return null;
        var row = await db.FindApiKeyAsync(hash, ct);
        if (row is null || row.RevokedAt is not null)
        {
            _verified.TryRemove(hash, out _);
            // a flood of made-up keys costs one query per key per few seconds, not one per request
            if (_refused.Count > 10_000) _refused.Clear();
            _refused[hash] = now + 5 * time.TimestampFrequency;
            return null;
        }
        _verified[hash] = (row.Principal, row.Id, now + (long)(options.Value.ApiKeys.CacheFor.TotalSeconds * time.TimestampFrequency));
        return row.Principal;
    }

    /// <summary>Revokes a key; in this process at once, in others within <see cref="ApiKeyOptions.CacheFor"/>. False when
    /// there is no such active key.</summary>
    public async Task<bool> RevokeAsync(string id, Caller by, CancellationToken ct)
    {
        var revoked = await db.RevokeApiKeyAsync(id, new AuditEntry(time.GetUtcNow(), by.Principal, by.AgencyCode, "api-keys.revoke", Scopes.Operate,
            null, "revoked", $"key {id}", "http"), ct);
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
    IndexDatabase db, ApiKeyService keys, IOptions<AuthOptions> options, IHostEnvironment env, ILogger<ApiKeyBootstrap> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value.ApiKeys;
        if (!o.Enabled || o.Bootstrap.Count == 0 || await db.CountApiKeysAsync(cancellationToken) > 0) return;
        var made = o.Bootstrap.Select(principal => keys.Make(principal, "first start", null)).ToList();
        // the file first: keys that were stored but never shown would lock the embedded default out for good
        var file = Path.GetFullPath(Path.Combine(env.ContentRootPath, o.BootstrapFile));
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var lines = made.Select(m => $"{m.Row.Principal} {m.Key}").ToList();
        await File.WriteAllTextAsync(file, "# principal key — created at the Hub's first start; keep secret, the Hub stores only their hashes\n" +
            string.Join('\n', lines) + "\n", cancellationToken);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            await db.AddApiKeysAsync(made.Select(m => (m.Row, m.Audit)).ToList(), cancellationToken);
        }
        catch
        {
            File.Delete(file);
            throw;
        }
        LogCreated(lines.Count, file, string.Join(Environment.NewLine, lines.Select(l => "  " + l)));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "First start: created {Count} API keys, shown this once and written to {File} (send one as the X-Api-Key header):\n{Keys}")]
    private partial void LogCreated(int count, string file, string keys);
}
