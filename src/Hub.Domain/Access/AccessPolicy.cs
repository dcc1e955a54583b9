using System.Text.Json;
using Hub.Domain.Catalogue;

namespace Hub.Domain.Access;

/// <summary>The scopes the Hub's doors ask for. Every HTTP endpoint declares one; <c>Catalogue/access.json</c> says who holds it.</summary>
public static class Scopes
{
    public const string PublishCourtNotices = "court-notices:publish";
    public const string RegisterOrganizations = "organizations:register";
    public const string Subscribe = "events:subscribe";
    public const string ReadSubjects = "subjects:read";
    public const string CheckSubjects = "subjects:check";
    public const string ReadFullIds = "ids:read-full";
    public const string Operate = "operate";
    public const string ReadAudit = "audit:read";
    /// <summary>Scrape <c>GET /metrics</c>: figures only (counts, depths, ages; agency codes and queue names as labels), no record.</summary>
    public const string ReadMetrics = "metrics:read";

    /// <summary>Publishing administrative penalties is granted per category (<c>penalties:publish:FoodSafety</c>).</summary>
    public static string PublishPenalties(string category) => "penalties:publish:" + category;
}

/// <summary>Who is calling, as the Hub established it (client certificate, API key, or the broker's validated user),
/// and what that caller may do.</summary>
public sealed record Caller(string Principal, Agency? Agency, string? Role, IReadOnlySet<string> Scopes)
{
    public string? AgencyCode => Agency?.Code;

    public bool Has(string scope) => Scopes.Contains(scope);

    /// <summary>True when the caller is the agency named (codes compare without regard to case).</summary>
    public bool Is(string agencyCode) => Agency is not null && string.Equals(Agency.Code, agencyCode.Trim(), StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Who may do what, as data (<c>Catalogue/access.json</c>): an agency's scopes follow from its kind, plus grants named for
/// it; Hub staff hold roles (<c>operator:alice</c> holds the <c>operator</c> role). Deny by default: a principal the
/// policy does not know has no scope, and a scope the file does not declare is held by nobody.
/// </summary>
public sealed class AccessPolicy
{
    private readonly AgencyRegistry _agencies;
    private readonly IReadOnlyDictionary<string, string> _scopes;
    private readonly Dictionary<string, HashSet<string>> _byKind;
    private readonly Dictionary<string, HashSet<string>> _grants;
    private readonly Dictionary<string, HashSet<string>> _roles;

    private AccessPolicy(AgencyRegistry agencies, PolicyFile file)
    {
        _agencies = agencies;
        _scopes = file.Scopes;
        _byKind = file.AgencyKinds.ToDictionary(k => k.Key, k => k.Value.ToHashSet(StringComparer.Ordinal), StringComparer.OrdinalIgnoreCase);
        _grants = file.AgencyGrants.ToDictionary(k => k.Key, k => k.Value.ToHashSet(StringComparer.Ordinal), StringComparer.OrdinalIgnoreCase);
        _roles = file.Roles.ToDictionary(k => k.Key, k => k.Value.ToHashSet(StringComparer.Ordinal), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Every scope the policy declares, with what it allows.</summary>
    public IReadOnlyDictionary<string, string> DeclaredScopes => _scopes;

    public IEnumerable<string> Roles => _roles.Keys;

    /// <summary>The agency kinds the policy gives scopes to (<c>court</c>, <c>food-safety</c>, …): the kinds the Hub knows.</summary>
    public IReadOnlyCollection<string> AgencyKinds => _byKind.Keys;

    /// <summary>The caller a principal names, or null when the Hub does not know it (no such agency or role).</summary>
    public Caller? Resolve(string? principal)
    {
        if (string.IsNullOrWhiteSpace(principal)) return null;
        principal = principal.Trim();
        var colon = principal.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            var role = principal[..colon];
            var name = principal[(colon + 1)..];
            return name.Length > 0 && _roles.TryGetValue(role, out var roleScopes)
                ? new Caller(role.ToLowerInvariant() + ":" + name, null, role.ToLowerInvariant(), roleScopes)
                : null;
        }
        if (_agencies.Find(principal) is not { } agency) return null;
        var scopes = new HashSet<string>(StringComparer.Ordinal);
        if (_byKind.TryGetValue(agency.Kind, out var byKind)) scopes.UnionWith(byKind);
        if (_grants.TryGetValue(agency.Code, out var granted)) scopes.UnionWith(granted);
        return new Caller(agency.Code, agency, null, scopes);
    }

    public static AccessPolicy Load(string json, AgencyRegistry agencies)
    {
        var file = JsonSerializer.Deserialize<PolicyFile>(json, CatalogueJson.Options) ?? throw new InvalidDataException("access policy is empty");
        var undeclared = file.AgencyKinds.Values.Concat(file.AgencyGrants.Values).Concat(file.Roles.Values)
            .SelectMany(s => s).Where(s => !file.Scopes.ContainsKey(s)).Distinct().ToList();
        if (undeclared.Count > 0)
            throw new InvalidDataException($"access policy grants scopes it does not declare: {string.Join(", ", undeclared)}");
        var unknownGrantee = file.AgencyGrants.Keys.FirstOrDefault(code => agencies.Find(code) is null);
        if (unknownGrantee is not null)
            throw new InvalidDataException($"access policy grants scopes to agency {unknownGrantee}, which is not registered");
        var badRole = file.Roles.Keys.FirstOrDefault(r => r.Length == 0 || r.Contains(':', StringComparison.Ordinal));
        if (badRole is not null) throw new InvalidDataException($"access policy role '{badRole}' must be a word without ':'");
        return new AccessPolicy(agencies, file);
    }

    /// <summary>The policy shipped with this build (Catalogue/access.json).</summary>
    public static AccessPolicy Embedded(AgencyRegistry agencies) => Load(CatalogueJson.ReadEmbedded("access.json"), agencies);

    private sealed record PolicyFile
    {
        public Dictionary<string, string> Scopes { get; init; } = [];
        public Dictionary<string, List<string>> AgencyKinds { get; init; } = [];
        public Dictionary<string, List<string>> AgencyGrants { get; init; } = [];
        public Dictionary<string, List<string>> Roles { get; init; } = [];
    }
}
