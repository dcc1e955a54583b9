using System.Buffers;
using System.Text;

namespace Hub.Domain.Identifiers;

/// <summary>Normal form of a subject's name for matching: NFKC (full-width to half-width, （） to ()), no white space, no
/// separator dots, upper case.</summary>
/// <remarks>The index stores this form (a subject's normalised name, its name-with-birth-date key): a change to it needs
/// the stored forms changed too (<c>NameSeparatorBackfill</c> did that for the separators).</remarks>
public static class NameNormalizer
{
    /// <summary>
    /// The separators a name may carry between its parts, dropped (after NFKC, which folds ．and ﹒ to ., ･ to ・, － to -).
    /// A minority (e.g. Uyghur) name's parts — given name · father's name, 买买提·艾力 — are separated by the middle dot
    /// U+00B7, which agencies' systems write as •, ‧, ∙, ⋅, ・, ꞏ, ., 。, a hyphen or dash, or leave out (a GB2312-era
    /// field could not hold it). Dropping them lets every spelling match the dotless one. A Han name never carries one,
    /// so no two Han names become one; two minority names that differ only in where the dot stands would (A·BC and AB·C),
    /// which the rest of the evidence (number, birth date) still has to bear out.
    /// </summary>
    public const string Separators = "\u00B7\u2022\u2027\u2219\u22C5\u30FB\uA78F.\u3002-\u2010\u2013\u2014";

    private static readonly SearchValues<char> SeparatorValues = SearchValues.Create(Separators);

    public static string Normalize(string name) => Normalize(name, keepSeparators: false);

    /// <summary>The normal form; with <paramref name="keepSeparators"/> the form before separators were dropped, for an
    /// identity derived from a name that must stay as it was first made (a court notice's source record id).</summary>
    public static string Normalize(string name, bool keepSeparators)
    {
        var folded = name.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(folded.Length);
        foreach (var c in folded)
        {
            if (char.IsWhiteSpace(c) || (!keepSeparators && SeparatorValues.Contains(c))) continue;
            sb.Append(c switch { '[' or '【' or '〔' => '(', ']' or '】' or '〕' => ')', _ => char.ToUpperInvariant(c) });
        }
        return sb.ToString();
    }
}
