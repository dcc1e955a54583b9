using System.Text.Json.Nodes;

namespace Hub.Testing;

/// <summary>Court notices in the public portal's field names, as a court system sends them (tests and bench).</summary>
public static class CourtNoticeJson
{
    public const string Court = "COURT-34-1122";
    public const string CompanyUscc = "9134112215678901XC";
    public const string RepRic = "34112219780512361X";

    public static JsonObject Company(string id, string uscc = CompanyUscc, string name = "安徽皖东建设工程有限公司",
        string caseCode = "(2026)皖1122执1194号", string repName = "王建国", string repRic = RepRic) => new()
    {
        ["id"] = id,
        ["iname"] = name,
        ["caseCode"] = caseCode,
        ["cardNum"] = uscc,
        ["businessEntity"] = repName,
        ["businessEntityCardNum"] = repRic,
        ["courtName"] = "来安县人民法院",
        ["areaName"] = "安徽",
        ["gistId"] = "(2025)皖1122民初2231号",
        ["gistUnit"] = "来安县人民法院",
        ["duty"] = "支付工程款人民币1,250,000元及利息",
        ["performance"] = "全部未履行",
        ["unperformPart"] = "1250000",
        ["disruptTypeName"] = "违反财产报告制度",
        ["regDate"] = "20260611",
        ["publishDate"] = "20260701",
        ["type"] = "1",
    };

    /// <summary><paramref name="n"/> companies, each with its own USCC, name, case and legal representative (a whole ID
    /// number, 500 persons a birth date), numbered from <paramref name="first"/>: the ingest benchmark's notices.</summary>
    public static List<JsonObject> Companies(int n, int first = 1) => Enumerable.Range(first, n).Select(i =>
    {
        var born = new DateOnly(1960, 1, 1).AddDays(i / 500);
        var body = $"341122{born:yyyyMMdd}{i % 500:D3}";
        var ric = body + Hub.Domain.Identifiers.ResidentIdNumber.CheckCharacter(body);
        return Company($"BENCH-{i}", TestIdentifiers.Uscc(i), $"安徽测试建设工程有限公司{i}", $"(2026)皖1122执{i}号", $"法人{i}", ric);
    }).ToList();

    public static JsonObject Removal(string id, string listingId) => new()
    {
        ["id"] = id, ["listingId"] = listingId, ["legalBasis"] = "JD-4", ["reason"] = "Performed", ["effectiveDate"] = "2026-09-01",
    };
}
