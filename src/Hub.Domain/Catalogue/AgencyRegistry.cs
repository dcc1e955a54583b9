using System.Text.Json;
using Hub.Domain.Identifiers;

namespace Hub.Domain.Catalogue;

/// <summary>An agency registered with the Hub. <see cref="Kind"/> decides which legal bases it may issue.</summary>
public sealed record Agency(string Code, string Name, string Kind, string RegionCode)
{
    public string ProvinceCode => RegionCode[..2];
}

public sealed class AgencyRegistry
{
    private readonly Dictionary<string, Agency> _byCode;

    public AgencyRegistry(IEnumerable<Agency> agencies) =>
        _byCode = agencies.ToDictionary(a => a.Code, StringComparer.OrdinalIgnoreCase);

    public IEnumerable<Agency> All => _byCode.Values;

    public Agency? Find(string? code) => code is not null && _byCode.TryGetValue(code.Trim(), out var a) ? a : null;

    public static AgencyRegistry Load(string json)
    {
        var file = JsonSerializer.Deserialize<AgencyFile>(json, CatalogueJson.Options)
                   ?? throw new InvalidDataException("agency registry is empty");
        foreach (var a in file.Agencies)
            if (Regions.ProvinceOf(a.RegionCode) is null)
                throw new InvalidDataException($"agency {a.Code}: region code '{a.RegionCode}' names no province");
        return new AgencyRegistry(file.Agencies);
    }

    public static AgencyRegistry Embedded() => Load(CatalogueJson.ReadEmbedded("agencies.json"));

    private sealed record AgencyFile(List<Agency> Agencies);
}
