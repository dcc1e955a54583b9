using System.Text.Json;
using Hub.Domain.Subscriptions;
using Hub.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Host.Subscribers;

/// <summary>Configuration section <c>Hub:Subscribers</c>.</summary>
public sealed class SubscriberOptions
{
    public const string Section = "Hub:Subscribers";

    /// <summary>Webhook URLs must be https://; unset: required in server mode (RabbitMQ), not on the embedded default,
    /// where a receiver on the same machine may listen on http://.</summary>
    public bool? RequireHttps { get; set; }
}

/// <summary>
/// Every subscription in force: those declared in the registry file (checked at start — a file that asks for more than
/// an agency may lawfully receive stops the Hub) and those operators made through the API (stored in the index).
/// </summary>
public sealed partial class SubscriptionDirectory
{
    private readonly IReadOnlyList<ResolvedSubscription> _declared;
    private readonly SubscriptionRules _rules;
    private readonly IndexDatabase _db;
    private readonly ILogger<SubscriptionDirectory> _log;

    public SubscriptionDirectory(IReadOnlyList<Subscription> declared, SubscriptionRules rules, IndexDatabase db, IOptions<SubscriberOptions> options,
        ILogger<SubscriptionDirectory> log)
    {
        _rules = rules;
        _db = db;
        _log = log;
        RequireHttps = options.Value.RequireHttps ?? true;
        _declared = declared.Select(s =>
        {
            var (ok, problem) = rules.Resolve(s, RequireHttps);
            return ok ?? throw new InvalidDataException($"subscription registry: {s.Agency}: {problem!.Field}: {problem.Message}");
        }).ToList();
    }

    public bool RequireHttps { get; }

    public SubscriptionRules Rules => _rules;

    /// <summary>The subscriptions the registry file declares.</summary>
    public IReadOnlyList<ResolvedSubscription> Declared => _declared;

    /// <summary>Whether the registry file declares the agency's subscription (then only the file changes it).</summary>
    public bool IsDeclared(string agency) => _declared.Any(d => string.Equals(d.Agency.Code, agency, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every subscription in force: the file's, then the API's (one the catalogue no longer allows is left
    /// out, and logged).</summary>
    public async Task<IReadOnlyList<ResolvedSubscription>> AllAsync(CancellationToken ct)
    {
        var all = new List<ResolvedSubscription>(_declared);
        foreach (var row in await _db.SubscriptionsAsync(ct))
        {
            if (IsDeclared(row.AgencyCode)) continue;
            var (resolved, problem) = _rules.Resolve(FromRow(row), RequireHttps);
            if (resolved is not null) all.Add(resolved);
            else LogUnlawful(row.AgencyCode, problem!.Field, problem.Message);
        }
        return all;
    }

    public async Task<ResolvedSubscription?> FindAsync(string agency, CancellationToken ct) =>
        (await AllAsync(ct)).FirstOrDefault(s => string.Equals(s.Agency.Code, agency, StringComparison.OrdinalIgnoreCase));

    public static Subscription FromRow(SubscriptionRow row) => new()
    {
        Agency = row.AgencyCode, Delivery = row.Delivery, WebhookUrl = row.WebhookUrl, Source = "api",
        Filter = JsonSerializer.Deserialize<SubscriptionFilter>(row.Filter, FilterJson) ?? new SubscriptionFilter(),
    };

    public static readonly JsonSerializerOptions FilterJson = new(JsonSerializerDefaults.Web);

    [LoggerMessage(Level = LogLevel.Error, Message = "The subscription of {Agency} is not in force: {Field}: {Problem} (the catalogue changed since it was made; an operator must change it)")]
    private partial void LogUnlawful(string agency, string field, string problem);
}
