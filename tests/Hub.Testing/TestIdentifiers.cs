using Hub.Domain.Identifiers;

namespace Hub.Testing;

/// <summary>Identifiers that validate, made on demand for tests and benchmarks.</summary>
public static class TestIdentifiers
{
    /// <summary>A valid USCC for company number <paramref name="n"/> (region 341122), its positions 9-17 a valid organisation code.</summary>
    public static string Uscc(int n)
    {
        var body = $"{n:D8}";
        var first17 = "91341122" + body + OrganizationCode.CheckCharacter(body);
        return first17 + Hub.Domain.Identifiers.Uscc.CheckCharacter(first17);
    }
}
