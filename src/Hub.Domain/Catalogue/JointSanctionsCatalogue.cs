using System.Text.Json;
using Hub.Domain.Lifecycle;

namespace Hub.Domain.Catalogue;

/// <summary>A joint-sanctions measure an agency applies before it grants something, and the agency kinds that enforce it
/// (only they may check a subject for it). No kind: enforced outside the Hub, nobody may check it here.</summary>
public sealed record SanctionMeasure
{
    public required string Code { get; init; }
    public required string Title { get; init; }
    public IReadOnlyList<string> EnforcedBy { get; init; } = [];
    public string? Note { get; init; }

    /// <summary>Enforced at the moment of a grant by checking the subjects then (every bureau procures and funds): a
    /// basis to check, not to receive the list as it changes. A subscription may not cover a list for such a measure.</summary>
    public bool CheckOnly { get; init; }
}

/// <summary>
/// One rule of a joint-sanctions memorandum: a subject on a list of <see cref="ListType"/> is subject to
/// <see cref="Measure"/>. <see cref="ReachesImputed"/>: the rule also reaches the listings imputed to the legal
/// representative of a listed organisation (derived listings), not only the listed subject itself.
/// </summary>
public sealed record SanctionRule
{
    public required string Id { get; init; }
    public required string ListType { get; init; }
    public required string Measure { get; init; }
    public required string Memorandum { get; init; }
    public bool ReachesImputed { get; init; }
}

/// <summary>
/// The versioned joint-sanctions catalogue (rules as data, <c>Catalogue/joint-sanctions.json</c>): the measures, who
/// enforces them, and which list type triggers which measure. Every check cites <see cref="Version"/>. It refuses to load
/// when it names a list type, measure or agency kind nobody declared, or when it and the legal-basis catalogue disagree
/// on which measures a list type carries.
/// </summary>
public sealed class JointSanctionsCatalogue
{
    private readonly Dictionary<string, SanctionMeasure> _measures;
    private readonly Dictionary<(string ListType, string Measure), SanctionRule> _rules;

    private JointSanctionsCatalogue(string version, IReadOnlyList<SanctionMeasure> measures, IReadOnlyList<SanctionRule> rules)
    {
        Version = version;
        Measures = measures;
        Rules = rules;
        _measures = measures.ToDictionary(m => m.Code, StringComparer.Ordinal);
        _rules = rules.ToDictionary(r => (r.ListType, r.Measure));
    }

    public string Version { get; }
    public IReadOnlyList<SanctionMeasure> Measures { get; }
    public IReadOnlyList<SanctionRule> Rules { get; }

    /// <summary>The measure with this code (exact, as the catalogue spells it), or null.</summary>
    public SanctionMeasure? FindMeasure(string? code) => code is not null && _measures.TryGetValue(code.Trim(), out var m) ? m : null;

    /// <summary>Whether agencies of <paramref name="agencyKind"/> enforce <paramref name="measure"/>, and so may check subjects for it.</summary>
    public bool Enforces(string agencyKind, string measure) =>
        FindMeasure(measure) is { } m && m.EnforcedBy.Contains(agencyKind, StringComparer.OrdinalIgnoreCase);

    /// <summary>The measures agencies of <paramref name="agencyKind"/> enforce.</summary>
    public IEnumerable<string> MeasuresEnforcedBy(string agencyKind) =>
        Measures.Where(m => m.EnforcedBy.Contains(agencyKind, StringComparer.OrdinalIgnoreCase)).Select(m => m.Code);

    /// <summary>The rule linking a list type to a measure, or null: that list does not trigger that measure.</summary>
    public SanctionRule? RuleFor(string listType, string measure) => _rules.GetValueOrDefault((listType, measure));

    /// <summary>
    /// The rule by which a listing restricts its subject under <paramref name="measure"/> on the day its
    /// <paramref name="state"/> was judged (<see cref="ListingClock.StateOn"/>), or null when it does not: it is not in
    /// force that day, its list type does not trigger the measure, or it is imputed (<paramref name="imputed"/>: derived
    /// from a listed organisation) and the rule reaches only the listed subject itself.
    /// </summary>
    public SanctionRule? Restricting(string measure, string listType, bool imputed, ListingState state) =>
        state.InForce && RuleFor(listType, measure) is { } rule && (!imputed || rule.ReachesImputed) ? rule : null;

    /// <summary>
    /// Reads and validates a catalogue: a version; measures and rule ids each once; every agency kind among
    /// <paramref name="agencyKinds"/> (those the access policy declares); every rule's list type one a basis of
    /// <paramref name="bases"/> lists on, and its measure declared; one rule per (list type, measure); and for each basis
    /// that lists, its <c>measures</c> exactly the measures the rules give its list type.
    /// </summary>
    public static JointSanctionsCatalogue Load(string json, LegalBasisCatalogue bases, IReadOnlyCollection<string> agencyKinds)
    {
        CatalogueFile? file;
        try
        {
            file = JsonSerializer.Deserialize<CatalogueFile>(json, CatalogueJson.Options);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"joint-sanctions catalogue is not readable JSON: {ex.Message}", ex);
        }
        if (file is null) throw new InvalidDataException("joint-sanctions catalogue is empty");
        if (string.IsNullOrWhiteSpace(file.Version)) throw new InvalidDataException("joint-sanctions catalogue has no version");
        var where = $"joint-sanctions catalogue {file.Version}";

        var measures = file.Measures ?? [];
        foreach (var m in measures)
        {
            if (string.IsNullOrWhiteSpace(m.Code) || string.IsNullOrWhiteSpace(m.Title))
                throw new InvalidDataException($"{where}: every measure needs a code and a title");
            if (m.EnforcedBy is null) throw new InvalidDataException($"{where}: measure {m.Code} says null for enforcedBy: give a list, [] for nobody");
            var unknownKind = m.EnforcedBy.FirstOrDefault(k => !agencyKinds.Contains(k, StringComparer.OrdinalIgnoreCase));
            if (unknownKind is not null)
                throw new InvalidDataException(
                    $"{where}: measure {m.Code} is enforced by agency kind '{unknownKind}', which the access policy does not declare (kinds: {string.Join(", ", agencyKinds)})");
        }
        var twice = measures.GroupBy(m => m.Code, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new InvalidDataException($"{where} declares measure {twice.Key} twice");

        var declared = measures.Select(m => m.Code).ToHashSet(StringComparer.Ordinal);
        var listTypes = bases.Bases.Where(b => b.ListType is not null).Select(b => b.ListType!).ToHashSet(StringComparer.Ordinal);
        var rules = file.Rules ?? [];
        foreach (var r in rules)
        {
            if (string.IsNullOrWhiteSpace(r.Id)) throw new InvalidDataException($"{where}: a rule has no id");
            if (!listTypes.Contains(r.ListType))
                throw new InvalidDataException(
                    $"{where}: rule {r.Id} names list type '{r.ListType}', which no basis of legal-basis catalogue {bases.Version} lists on (list types: {string.Join(", ", listTypes.Order(StringComparer.Ordinal))})");
            if (!declared.Contains(r.Measure))
                throw new InvalidDataException($"{where}: rule {r.Id} names measure '{r.Measure}', which the catalogue does not declare");
            if (string.IsNullOrWhiteSpace(r.Memorandum)) throw new InvalidDataException($"{where}: rule {r.Id} cites no memorandum");
        }
        var idTwice = rules.GroupBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (idTwice is not null) throw new InvalidDataException($"{where} has rule {idTwice.Key} twice");
        var pairTwice = rules.GroupBy(r => (r.ListType, r.Measure)).FirstOrDefault(g => g.Count() > 1);
        if (pairTwice is not null)
            throw new InvalidDataException($"{where}: rules {string.Join(" and ", pairTwice.Select(r => r.Id))} both link {pairTwice.Key.ListType} to {pairTwice.Key.Measure}");

        // the lookup shows each listing's measures from its basis; a check must never say otherwise
        foreach (var basis in bases.Bases.Where(b => b.ListType is not null))
        {
            var unknown = basis.Measures.FirstOrDefault(m => !declared.Contains(m));
            if (unknown is not null)
                throw new InvalidDataException($"legal basis {basis.Code} names measure '{unknown}', which {where} does not declare");
            var ruled = rules.Where(r => r.ListType == basis.ListType).Select(r => r.Measure).ToHashSet(StringComparer.Ordinal);
            var notRuled = basis.Measures.FirstOrDefault(m => !ruled.Contains(m));
            if (notRuled is not null)
                throw new InvalidDataException(
                    $"legal basis {basis.Code} names measure {notRuled}, but no rule of {where} links list type {basis.ListType} to it");
            var notNamed = ruled.Order(StringComparer.Ordinal).FirstOrDefault(m => !basis.Measures.Contains(m, StringComparer.Ordinal));
            if (notNamed is not null)
                throw new InvalidDataException(
                    $"{where} links list type {basis.ListType} to {notNamed}, which legal basis {basis.Code} does not name among its measures");
        }
        return new JointSanctionsCatalogue(file.Version, measures, rules);
    }

    /// <summary>The catalogue shipped with this build (Catalogue/joint-sanctions.json).</summary>
    public static JointSanctionsCatalogue Embedded(LegalBasisCatalogue bases, IReadOnlyCollection<string> agencyKinds) =>
        Load(CatalogueJson.ReadEmbedded("joint-sanctions.json"), bases, agencyKinds);

    private sealed record CatalogueFile(string Version, List<SanctionMeasure>? Measures, List<SanctionRule>? Rules);
}
