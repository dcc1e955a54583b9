using System.Text;
using Hub.Domain.Identifiers;

namespace Hub.Domain.Resolution;

/// <summary>
/// Addresses and phone numbers as the matcher compares them: what stays when the ways agencies write them are taken away.
/// </summary>
public static class ContactKeys
{
    private static readonly string[] ProvinceSuffixes = ["维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"];

    /// <summary>
    /// The building an address names: NFKC (full-width digits to ASCII), upper case, no white space or punctuation, a
    /// leading province left out (安徽省滁州市… and 滁州市… are one), and nothing after the first 号 (the floor, unit or
    /// room some lists add: 88号 and 88号12楼 are one building). Null when nothing is left. Many people or companies may
    /// share a building: an address is evidence beside a name, never alone.
    /// </summary>
    public static string? Address(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var folded = text.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(folded.Length);
        foreach (var c in folded)
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToUpperInvariant(c));
        var key = sb.ToString();
        foreach (var p in Regions.Provinces.OrderByDescending(p => p.Name.Length))
        {
            if (!key.StartsWith(p.Name, StringComparison.Ordinal)) continue;
            var rest = key[p.Name.Length..];
            foreach (var suffix in ProvinceSuffixes)
                if (rest.StartsWith(suffix, StringComparison.Ordinal)) { rest = rest[suffix.Length..]; break; }
            key = rest;
            break;
        }
        var number = key.IndexOf('号', StringComparison.Ordinal);
        if (number > 0) key = key[..(number + 1)];
        return key.Length >= 4 ? key : null;
    }

    /// <summary>
    /// A phone number's digits (NFKC), without a leading +86 / 0086 / 86 before a mobile number and without an extension
    /// after the number (转, ext, x); null for fewer than 7 digits. A mobile number (11 digits from 13 to 19) is registered
    /// to one person; a landline (area code and number) rings in a household or an office.
    /// </summary>
    public static string? Phone(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var folded = text.Normalize(NormalizationForm.FormKC);
        foreach (var ext in new[] { "转", "EXT", "ext", "Ext", "x", "X", "-分机" })
        {
            var at = folded.IndexOf(ext, StringComparison.Ordinal);
            if (at > 0) folded = folded[..at];
        }
        var digits = new string(folded.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length == 15 && digits.StartsWith("0086", StringComparison.Ordinal)) digits = digits[4..];
        if (digits.Length == 13 && digits.StartsWith("86", StringComparison.Ordinal) && digits[2] == '1') digits = digits[2..];
        return digits.Length >= 7 ? digits : null;
    }

    /// <summary>Whether the number (a <see cref="Phone"/> key) is a mobile one: 11 digits from 13 to 19.</summary>
    public static bool IsMobile(string phoneKey) => phoneKey.Length == 11 && phoneKey[0] == '1' && phoneKey[1] is >= '3' and <= '9';
}
