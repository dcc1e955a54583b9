namespace Hub.Domain.Identifiers;

/// <summary>Legacy organisation code, GB 11714: 8 body characters and a check character (a hyphen before it is accepted).</summary>
public static class OrganizationCode
{
    private static readonly int[] Weights = [3, 7, 9, 10, 5, 8, 4, 2];

    public static IdentifierCheck Check(string input)
    {
        var n = IdentifierText.Normalize(input).Replace("-", "", StringComparison.Ordinal);
        if (n.Length != 9)
            return Fail($"an organisation code has 9 characters (8 and a check character), this has {n.Length}");
        for (var i = 0; i < 8; i++)
            if (Value(n[i]) < 0)
                return Fail($"character '{n[i]}' at position {i + 1} is not a digit or capital letter");
        var expected = CheckCharacter(n.AsSpan(0, 8));
        if (n[8] != expected)
            return Fail($"check character is '{n[8]}', expected '{expected}'");
        return IdentifierCheck.Valid(input, IdentifierScheme.OrganizationCode, n);

        IdentifierCheck Fail(string reason) => IdentifierCheck.Invalid(input, IdentifierScheme.OrganizationCode, reason);
    }

    public static char CheckCharacter(ReadOnlySpan<char> body8)
    {
        var sum = 0;
        for (var i = 0; i < 8; i++) sum += Value(body8[i]) * Weights[i];
        var c = 11 - sum % 11;
        return c switch { 10 => 'X', 11 => '0', _ => (char)('0' + c) };
    }

    private static int Value(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'Z' => c - 'A' + 10,
        _ => -1,
    };
}
