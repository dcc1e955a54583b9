using System.Text;

namespace Hub.Domain.Identifiers;

/// <summary>Normalisation shared by every identifier scheme: full-width to half-width, no white space, upper case.</summary>
public static class IdentifierText
{
    public static string Normalize(string input)
    {
        var sb = new StringBuilder(input.Length);
        foreach (var ch in input)
        {
            var c = ch;
            if (c >= '\uFF01' && c <= '\uFF5E') c = (char)(c - 0xFEE0); // full-width ASCII block
            if (c == '\u3000' || char.IsWhiteSpace(c)) continue;
            sb.Append(char.ToUpperInvariant(c));
        }
        return sb.ToString();
    }

    internal static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (c is < '0' or > '9') return false;
        return true;
    }

    internal static int Digit(char c) => c - '0';
}
