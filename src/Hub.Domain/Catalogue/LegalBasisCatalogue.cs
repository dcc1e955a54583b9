using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hub.Domain.Catalogue;

/// <summary>One legal basis: which list it feeds, who may issue it, its terms, and whether it reaches the legal representative.</summary>
public sealed record LegalBasis
{
    public required string Code { get; init; }
    public string? ListType { get; init; }
    public required IReadOnlyList<string> RecordKinds { get; init; }
    public required string Title { get; init; }
    public required string Citation { get; init; }
    public required IReadOnlyList<string> IssuerKinds { get; init; }
    public string? Category { get; init; }
    public string? Severity { get; init; }
    public bool UntilPerformed { get; init; }
    public int? DefaultTermMonths { get; init; }
    public int? MaxTermMonths { get; init; }
    public bool ImputeLegalRepresentative { get; init; }
    public bool MinorsExcluded { get; init; }
    public IReadOnlyList<string> Measures { get; init; } = [];

    /// <summary>Days the issuer has to decide a correction request (<c>ListingDisputed</c> of kind
    /// <c>CorrectionRequest</c>), counted in calendar days from the day it was filed; null: no deadline is tracked.</summary>
    public int? DisputeReviewDays { get; init; }

    /// <summary>Whether, and when, credit repair may end a listing of this basis early; null: never (a
    /// judgment-defaulter listing ends by its court's removal or its term, not by repair).</summary>
    public CreditRepairRule? CreditRepair { get; init; }
}

/// <param name="MinPublicityMonths">A listing stays public at least this long from its decision date before repair
/// may end it.</param>
public sealed record CreditRepairRule(int MinPublicityMonths);

/// <summary>The versioned legal-basis catalogue (rules as data). Every decision cites <see cref="Version"/>.</summary>
public sealed class LegalBasisCatalogue
{
    private readonly Dictionary<string, LegalBasis> _byCode;

    public LegalBasisCatalogue(string version, IEnumerable<LegalBasis> bases)
    {
        Version = version;
        _byCode = bases.ToDictionary(b => b.Code, StringComparer.OrdinalIgnoreCase);
    }

    public string Version { get; }
    public IEnumerable<LegalBasis> Bases => _byCode.Values;

    public LegalBasis? Find(string? code) => code is not null && _byCode.TryGetValue(code.Trim(), out var b) ? b : null;

    public static LegalBasisCatalogue Load(string json)
    {
        var file = JsonSerializer.Deserialize<CatalogueFile>(json, CatalogueJson.Options)
                   ?? throw new InvalidDataException("legal-basis catalogue is empty");
        if (string.IsNullOrWhiteSpace(file.Version)) throw new InvalidDataException("legal-basis catalogue has no version");
        var dup = file.Bases.GroupBy(b => b.Code, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"legal-basis catalogue lists {dup.Key} twice");
        foreach (var b in file.Bases)
        {
            // repair is a record kind a basis accepts and a rule it carries: the two must agree
            var repairs = b.RecordKinds.Contains("CreditRepairGranted", StringComparer.Ordinal);
            if (repairs != b.CreditRepair is not null)
                throw new InvalidDataException(repairs
                    ? $"legal-basis catalogue: {b.Code} accepts CreditRepairGranted but has no creditRepair rule (minPublicityMonths)"
                    : $"legal-basis catalogue: {b.Code} has a creditRepair rule but does not list CreditRepairGranted in recordKinds");
            if (b.CreditRepair is { MinPublicityMonths: < 0 } || b.DisputeReviewDays is < 1)
                throw new InvalidDataException($"legal-basis catalogue: {b.Code} has a negative minPublicityMonths or a disputeReviewDays below 1");
        }
        return new LegalBasisCatalogue(file.Version, file.Bases);
    }

    /// <summary>The catalogue shipped with this build (Catalogue/legal-basis.json).</summary>
    public static LegalBasisCatalogue Embedded() => Load(CatalogueJson.ReadEmbedded("legal-basis.json"));

    private sealed record CatalogueFile(string Version, List<LegalBasis> Bases);
}

internal static class CatalogueJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static string ReadEmbedded(string name)
    {
        using var stream = typeof(CatalogueJson).Assembly.GetManifestResourceStream("Hub.Domain.Catalogue." + name)
                           ?? throw new InvalidOperationException($"embedded resource {name} is missing from Hub.Domain");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
