namespace Hub.Domain.Identifiers;

/// <summary>GB/T 2260 province codes (first two digits of a region code) with names and court-case abbreviations.</summary>
public static class Regions
{
    public sealed record Province(string Code, string Name, string Abbreviation);

    public static readonly IReadOnlyList<Province> Provinces =
    [
        new("11", "北京", "京"), new("12", "天津", "津"), new("13", "河北", "冀"), new("14", "山西", "晋"),
        new("15", "内蒙古", "内"), new("21", "辽宁", "辽"), new("22", "吉林", "吉"), new("23", "黑龙江", "黑"),
        new("31", "上海", "沪"), new("32", "江苏", "苏"), new("33", "浙江", "浙"), new("34", "安徽", "皖"),
        new("35", "福建", "闽"), new("36", "江西", "赣"), new("37", "山东", "鲁"), new("41", "河南", "豫"),
        new("42", "湖北", "鄂"), new("43", "湖南", "湘"), new("44", "广东", "粤"), new("45", "广西", "桂"),
        new("46", "海南", "琼"), new("50", "重庆", "渝"), new("51", "四川", "川"), new("52", "贵州", "黔"),
        new("53", "云南", "云"), new("54", "西藏", "藏"), new("61", "陕西", "陕"), new("62", "甘肃", "甘"),
        new("63", "青海", "青"), new("64", "宁夏", "宁"), new("65", "新疆", "新"),
    ];

    private static readonly Dictionary<string, Province> ByCode = Provinces.ToDictionary(p => p.Code);
    private static readonly Dictionary<string, Province>.AlternateLookup<ReadOnlySpan<char>> ByCodeSpan =
        ByCode.GetAlternateLookup<ReadOnlySpan<char>>();

    public static bool IsProvince(ReadOnlySpan<char> code2) => ByCodeSpan.ContainsKey(code2);

    /// <summary>Provinces plus the 81/82/83 prefixes of residence permits for Hong Kong, Macau and Taiwan residents.</summary>
    public static bool IsProvinceOrPermit(ReadOnlySpan<char> code2) =>
        IsProvince(code2) || code2 is "81" or "82" or "83";

    /// <summary>The province of a region code (any length of 2 or more), or null.</summary>
    public static Province? ProvinceOf(string? regionCode) =>
        regionCode is { Length: >= 2 } && ByCode.TryGetValue(regionCode[..2], out var p) ? p : null;
}
