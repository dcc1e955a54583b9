namespace Hub.Domain.Identifiers;

/// <summary>Checks a value whose scheme is not given, as `hub id check` does: the scheme is told by its shape.</summary>
public static class IdentifierDetector
{
    public static IdentifierCheck Check(string input)
    {
        var n = IdentifierText.Normalize(input);
        if (n.Contains('*', StringComparison.Ordinal) || n.Length == 15) return ResidentIdNumber.Check(input);
        if (n.Replace("-", "", StringComparison.Ordinal).Length == 9) return OrganizationCode.Check(input);
        if (n.Length != 18) return IdentifierCheck.Invalid(input, GuessByLength(n), $"no identifier scheme has {n.Length} characters (USCC and ID number 18, organisation code 9, first-generation ID 15)");

        var asRic = ResidentIdNumber.Check(input);
        if (asRic.IsValid) return asRic;
        var asUscc = Uscc.Check(input);
        if (asUscc.IsValid) return asUscc;
        // neither validates: report against the scheme the value looks like
        var looksLikeRic = IdentifierText.AllDigits(n.AsSpan(0, 17)) &&
                           DateOnly.TryParseExact(n.Substring(6, 8), "yyyyMMdd", out _);
        return looksLikeRic ? asRic : asUscc;
    }

    private static IdentifierScheme GuessByLength(string n) => n.Length > 12 ? IdentifierScheme.Uscc : IdentifierScheme.OrganizationCode;
}
