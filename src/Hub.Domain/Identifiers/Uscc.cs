namespace Hub.Domain.Identifiers;

/// <summary>Unified Social Credit Code, GB 32100-2015.</summary>
public static class Uscc
{
    public const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    private static readonly int[] Weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    public static IdentifierCheck Check(string input)
    {
        var n = IdentifierText.Normalize(input);
        if (n.Length != 18)
            return Fail($"a USCC has 18 characters, this has {n.Length}");
        for (var i = 0; i < 18; i++)
            if (Alphabet.IndexOf(n[i]) < 0)
                return Fail($"character '{n[i]}' at position {i + 1} is not in the USCC alphabet (digits and capitals without I, O, S, V, Z)");
        if (!IdentifierText.AllDigits(n.AsSpan(2, 6)))
            return Fail("positions 3-8 (region code) must be digits");
        if (!Regions.IsProvince(n.AsSpan(2, 2)))
            return Fail($"region code {n.Substring(2, 6)} names no province");
        var expected = CheckCharacter(n.AsSpan(0, 17));
        if (n[17] != expected)
            return Fail($"check character is '{n[17]}', expected '{expected}'");
        return IdentifierCheck.Valid(input, IdentifierScheme.Uscc, n);

        IdentifierCheck Fail(string reason) => IdentifierCheck.Invalid(input, IdentifierScheme.Uscc, reason);
    }

    /// <summary>The check character for the first 17 characters, which must all be in <see cref="Alphabet"/>.</summary>
    public static char CheckCharacter(ReadOnlySpan<char> first17)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++) sum += Alphabet.IndexOf(first17[i]) * Weights[i];
        return Alphabet[(31 - sum % 31) % 31];
    }

    /// <summary>Positions 9-17: the legacy organisation code embedded in a USCC, through which old records link to it.</summary>
    public static string EmbeddedOrganizationCode(string normalizedUscc) => normalizedUscc.Substring(8, 9);
}
