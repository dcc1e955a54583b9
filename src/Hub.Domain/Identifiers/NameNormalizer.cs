using System.Text;

namespace Hub.Domain.Identifiers;

/// <summary>Normal form of a subject's name for matching: NFKC (full-width to half-width, （） to ()), no white space, upper case.</summary>
public static class NameNormalizer
{
    public static string Normalize(string name)
    {
        var folded = name.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(folded.Length);
        foreach (var c in folded)
        {
            if (char.IsWhiteSpace(c)) continue;
            sb.Append(c switch { '[' or '【' or '〔' => '(', ']' or '】' or '〕' => ')', _ => char.ToUpperInvariant(c) });
        }
        return sb.ToString();
    }
}
