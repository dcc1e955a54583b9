using System.Globalization;
using System.Text.RegularExpressions;

namespace Hub.Domain.Identifiers;

/// <summary>
/// Resident identity number, GB 11643-1999: region (6), birth date (8), sequence (3), check (ISO 7064 MOD 11-2).
/// Also the 15-digit first generation (upgraded to 18) and the publicly masked form (digits 11-14 as ****).
/// </summary>
public static partial class ResidentIdNumber
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckCharacters = "10X98765432";
    private const string Mask = "****";

    public static IdentifierCheck Check(string input)
    {
        var n = IdentifierText.Normalize(input);
        if (n.Contains('*', StringComparison.Ordinal))
            return CheckMasked(input, n);
        if (n.Length == 15)
        {
            if (!IdentifierText.AllDigits(n)) return Fail("a 15-digit (first-generation) ID number has digits only");
            var region = CheckRegion(n);
            if (region is not null) return Fail(region);
            if (!TryDate("19" + n.Substring(6, 6), out _)) return Fail($"positions 7-12 are not a birth date (yyMMdd)");
            return IdentifierCheck.Valid(input, IdentifierScheme.ResidentId, Upgrade(n));
        }
        if (n.Length != 18)
            return Fail($"an ID number has 18 characters (or 15 for the first generation), this has {n.Length}");
        if (!IdentifierText.AllDigits(n.AsSpan(0, 17))) return Fail("positions 1-17 must be digits");
        if (n[17] is not ((>= '0' and <= '9') or 'X')) return Fail($"position 18 must be a digit or X, not '{n[17]}'");
        var regionError = CheckRegion(n);
        if (regionError is not null) return Fail(regionError);
        if (!TryDate(n.Substring(6, 8), out _)) return Fail("positions 7-14 are not a birth date (yyyyMMdd)");
        var expected = CheckCharacter(n.AsSpan(0, 17));
        if (n[17] != expected) return Fail($"check character is '{n[17]}', expected '{expected}'");
        return IdentifierCheck.Valid(input, IdentifierScheme.ResidentId, n);

        IdentifierCheck Fail(string reason) => IdentifierCheck.Invalid(input, IdentifierScheme.ResidentId, reason);
    }

    private static IdentifierCheck CheckMasked(string input, string n)
    {
        if (n.Length != 18 || n.Substring(10, 4) != Mask)
            return IdentifierCheck.Invalid(input, IdentifierScheme.ResidentIdMasked, "a masked ID number has 18 characters with positions 11-14 as ****");
        var open = n[..10] + n.Substring(14, 3);
        if (!IdentifierText.AllDigits(open) || n[17] is not ((>= '0' and <= '9') or 'X'))
            return IdentifierCheck.Invalid(input, IdentifierScheme.ResidentIdMasked, "a masked ID number has digits outside the mask (X allowed last)");
        var region = CheckRegion(n);
        if (region is not null) return IdentifierCheck.Invalid(input, IdentifierScheme.ResidentIdMasked, region);
        var year = int.Parse(n.AsSpan(6, 4), CultureInfo.InvariantCulture);
        if (year is < 1900 or > 2100) return IdentifierCheck.Invalid(input, IdentifierScheme.ResidentIdMasked, $"birth year {year} is out of range");
        return IdentifierCheck.Valid(input, IdentifierScheme.ResidentIdMasked, n);
    }

    public static char CheckCharacter(ReadOnlySpan<char> first17)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++) sum += IdentifierText.Digit(first17[i]) * Weights[i];
        return CheckCharacters[sum % 11];
    }

    /// <summary>
    /// Whether a masked number and a birth date make a whole number together: the birth year is the masked number's, and
    /// the check character computed over its region, the birth date and its sequence is its last character. The mask
    /// hides the birth month and day only, so the two together are the whole number, check included: one character
    /// mistyped in either — a visible digit of the number, or the birth date — shows (the check detects any single
    /// substitution), except a birth date typed wrong that passes by chance, once in eleven.
    /// </summary>
    public static bool FitsBirthDate(string masked, DateOnly born)
    {
        if (masked.Length != 18 || born.Year is < 1000 or > 9999) return false;
        Span<char> first17 = stackalloc char[17];
        masked.AsSpan(0, 6).CopyTo(first17);
        born.TryFormat(first17.Slice(6, 8), out _, "yyyyMMdd", CultureInfo.InvariantCulture);
        masked.AsSpan(14, 3).CopyTo(first17[14..]);
        return first17[6..10].SequenceEqual(masked.AsSpan(6, 4)) && IdentifierText.AllDigits(first17) && CheckCharacter(first17) == masked[17];
    }

    /// <summary>15-digit first generation to 18 characters: insert the century "19" and compute the check character.</summary>
    public static string Upgrade(string fifteenDigits)
    {
        var body = fifteenDigits[..6] + "19" + fifteenDigits[6..];
        return body + CheckCharacter(body);
    }

    /// <summary>The public form: digits 11-14 (birth month and day) replaced by ****.</summary>
    public static string MaskNumber(string normalized18) =>
        normalized18.Length == 18 ? normalized18[..10] + Mask + normalized18[14..] : Mask;

    /// <summary>
    /// Masks every run in free text that could be an ID number (18 characters: 17 digits and a digit or X; or 15
    /// digits), for text the Hub did not write itself — an exception's message may quote a key it failed on.
    /// </summary>
    public static string MaskAllIn(string text) => PossibleNumber().Replace(text, m => m.Length == 18
        ? MaskNumber(m.Value.ToUpperInvariant())
        : m.Value[..8] + Mask + m.Value[12..]); // 15 digits: birth month and day are digits 9-12

    [GeneratedRegex(@"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")]
    private static partial Regex PossibleNumber();

    /// <summary>Birth date of a valid normalised 18-character number.</summary>
    public static DateOnly BirthDate(string normalized18) =>
        DateOnly.ParseExact(normalized18.Substring(6, 8), "yyyyMMdd", CultureInfo.InvariantCulture);

    private static string? CheckRegion(string n) =>
        Regions.IsProvinceOrPermit(n.AsSpan(0, 2)) ? null : $"region code {n[..6]} names no province";

    private static bool TryDate(string yyyymmdd, out DateOnly date) =>
        DateOnly.TryParseExact(yyyymmdd, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
}
