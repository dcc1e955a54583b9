using System.Text;
using Hub.Domain.Identifiers;

namespace Hub.Domain.Resolution;

/// <summary>
/// The core of an organisation's name for matching: what stays when the forms of writing that differ between agencies
/// are taken away — full-width and half-width, bracket styles, spaces and punctuation, the company-form suffix
/// (有限公司, 有限责任公司, 股份有限公司, Co., Ltd.), a leading province and city, and a short bracketed place.
/// 安徽省滁州市皖东建设工程（滁州）有限责任公司 and 皖东建设工程有限公司 have the same core, 皖东建设工程.
/// </summary>
public static class OrganizationNames
{
    private static readonly string[] Forms =
    [
        "股份有限公司", "有限责任公司", "有限公司", "股份公司", "责任公司", "公司",
        "COMPANYLIMITED", "CORPORATIONLIMITED", "COLTD", "COLIMITED", "LIMITED", "LTD", "INC", "CORPORATION", "CORP", "COMPANY", "CO",
    ];

    private static readonly string[] ProvinceSuffixes = ["维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"];

    public static string Core(string name)
    {
        var text = Clean(name);
        // a short bracketed part is a place or a branch note: (滁州), (中国)
        text = StripShortBrackets(text);
        var changed = true;
        while (changed)
        {
            changed = false;
            foreach (var form in Forms)
                if (text.Length > form.Length && text.EndsWith(form, StringComparison.Ordinal))
                {
                    text = text[..^form.Length];
                    changed = true;
                    break;
                }
        }
        text = StripPlace(text);
        return text.Length == 0 ? Clean(name) : text;
    }

    /// <summary>NFKC (full-width to half-width, （） to ()), upper case, no white space or punctuation; brackets kept.</summary>
    private static string Clean(string name)
    {
        var folded = name.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(folded.Length);
        foreach (var c in folded)
        {
            var d = c switch { '[' or '【' or '〔' or '{' => '(', ']' or '】' or '〕' or '}' => ')', _ => char.ToUpperInvariant(c) };
            if (d is '(' or ')' || char.IsLetterOrDigit(d)) sb.Append(d);
        }
        return sb.ToString();
    }

    private static string StripShortBrackets(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                var close = text.IndexOf(')', i + 1);
                if (close > i && close - i - 1 <= 4) { i = close; continue; }
            }
            if (text[i] is not ('(' or ')')) sb.Append(text[i]);
        }
        return sb.ToString();
    }

    /// <summary>A leading province (安徽, 安徽省, 广西壮族自治区) and then a leading city or county of two or three
    /// characters before 市, 县 or 区.</summary>
    private static string StripPlace(string text)
    {
        foreach (var p in Regions.Provinces.OrderByDescending(p => p.Name.Length))
        {
            if (!text.StartsWith(p.Name, StringComparison.Ordinal)) continue;
            var rest = text[p.Name.Length..];
            foreach (var suffix in ProvinceSuffixes)
                if (rest.StartsWith(suffix, StringComparison.Ordinal)) { rest = rest[suffix.Length..]; break; }
            if (rest.Length >= 2) text = rest;
            break;
        }
        for (var n = 2; n <= 3; n++)
            if (text.Length > n + 3 && text[n] is '市' or '县' or '区')
                return text[(n + 1)..];
        return text;
    }
}
