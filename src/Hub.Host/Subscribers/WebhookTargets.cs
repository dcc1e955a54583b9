using Hub.Domain.Subscriptions;
using Hub.Storage;

namespace Hub.Host.Subscribers;

/// <summary>
/// The webhook subscribers in force, each with its URL and secret: read from the subscriptions (the registry file's and
/// the API's) and kept as a snapshot that the delivery workers and, on the embedded default, the relay read. Refreshed
/// at once after a change through this process's API, and every <see cref="WebhookOptions.RefreshInterval"/> for the
/// changes other Hub processes make. A subscription made through the API carries the secret the Hub generated
/// (<c>subscriptions.webhook_secret</c>); one declared in the registry file takes it from configuration,
/// <c>Hub:Subscribers:WebhookSecrets:{AGENCY}</c>, and the Hub does not start without it.
/// </summary>
public sealed partial class WebhookTargets(SubscriptionDirectory directory, IndexDatabase db, IConfiguration config, ILogger<WebhookTargets> log)
{
    public const string SecretsSection = "Hub:Subscribers:WebhookSecrets";

    /// <summary>A secret from configuration must be at least this long (the Hub's own are 64 hex characters).</summary>
    public const int MinimumSecretLength = 32;

    private readonly SemaphoreSlim _changed = new(0, 1);
    private volatile IReadOnlyDictionary<string, WebhookTarget>? _current;

    /// <summary>The webhook subscribers as last read; read once first when not read yet.</summary>
    public async Task<IReadOnlyDictionary<string, WebhookTarget>> CurrentAsync(CancellationToken ct) => _current ?? await RefreshAsync(ct);

    /// <summary>The agency's webhook as last read, or null when it has none (or none was read yet).</summary>
    public WebhookTarget? Find(string agency) => _current?.GetValueOrDefault(agency);

    /// <summary>After a change of subscriptions made in this process: reads them again at once, and wakes the dispatcher
    /// to start or stop its workers.</summary>
    public async Task ChangedAsync(CancellationToken ct)
    {
        await RefreshAsync(ct);
        Notify();
    }

    /// <summary>Reads the webhook subscribers again.</summary>
    public async Task<IReadOnlyDictionary<string, WebhookTarget>> RefreshAsync(CancellationToken ct)
    {
        var stored = (await db.SubscriptionsAsync(ct)).ToDictionary(r => r.AgencyCode, StringComparer.OrdinalIgnoreCase);
        var targets = new Dictionary<string, WebhookTarget>(StringComparer.OrdinalIgnoreCase);
        foreach (var s in await directory.AllAsync(ct))
        {
            if (s.Subscription.Delivery != Deliveries.Webhook || !Uri.TryCreate(s.Subscription.WebhookUrl, UriKind.Absolute, out var url)) continue;
            var secret = directory.IsDeclared(s.Agency.Code) ? DeclaredSecret(s.Agency.Code) : stored.GetValueOrDefault(s.Agency.Code)?.WebhookSecret;
            if (string.IsNullOrEmpty(secret))
            {
                LogNoSecret(s.Agency.Code);
                continue;
            }
            targets[s.Agency.Code] = new WebhookTarget(s, url, secret);
        }
        _current = targets;
        return targets;
    }

    /// <summary>Every webhook subscription the registry file declares has its secret in configuration; else the Hub does
    /// not start (read at start, before the index is reached).</summary>
    public void CheckDeclaredSecrets()
    {
        foreach (var s in directory.Declared.Where(d => d.Subscription.Delivery == Deliveries.Webhook))
            if (DeclaredSecret(s.Agency.Code) is not { Length: >= MinimumSecretLength })
                throw new InvalidOperationException(
                    $"subscription registry: {s.Agency.Code} receives its events by webhook but {SecretsSection}:{s.Agency.Code} is not set or shorter than " +
                    $"{MinimumSecretLength} characters: set it (environment Hub__Subscribers__WebhookSecrets__{s.Agency.Code}) to the secret agreed with the agency");
    }

    /// <summary>Wakes <see cref="WaitForChangeAsync"/>.</summary>
    public void Notify()
    {
        if (_changed.CurrentCount == 0)
        {
            try { _changed.Release(); } catch (SemaphoreFullException) { /* already signalled */ }
        }
    }

    /// <summary>Waits for a refresh or <see cref="Notify"/>, at most <paramref name="timeout"/>.</summary>
    public Task<bool> WaitForChangeAsync(TimeSpan timeout, CancellationToken ct) => _changed.WaitAsync(timeout, ct);

    private string? DeclaredSecret(string agency) => config[$"{SecretsSection}:{agency}"];

    [LoggerMessage(Level = LogLevel.Error, Message = "The webhook subscription of {Agency} has no secret: its events wait until an operator gives it one (POST /api/operator/subscriptions/{Agency}/webhook-secret)")]
    private partial void LogNoSecret(string agency);
}
