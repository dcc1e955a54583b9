namespace Hub.Domain.Identifiers;

/// <summary>Identifier schemes the Hub knows. The wire name (<see cref="IdentifierSchemes"/>) is what storage and the CLI show.</summary>
public enum IdentifierScheme
{
    Uscc,
    OrganizationCode,
    ResidentId,
    ResidentIdMasked,
}

public static class IdentifierSchemes
{
    public static string Name(this IdentifierScheme scheme) => scheme switch
    {
        IdentifierScheme.Uscc => "uscc",
        IdentifierScheme.OrganizationCode => "org-code",
        IdentifierScheme.ResidentId => "ric",
        IdentifierScheme.ResidentIdMasked => "ric-masked",
        _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
    };
}

/// <summary>The result of checking one identifier: its scheme, whether it is valid, its normalised form, and if not, why.</summary>
public sealed record IdentifierCheck(string Input, IdentifierScheme Scheme, bool IsValid, string? Normalized, string? Reason)
{
    internal static IdentifierCheck Valid(string input, IdentifierScheme scheme, string normalized) =>
        new(input, scheme, true, normalized, null);

    internal static IdentifierCheck Invalid(string input, IdentifierScheme scheme, string reason) =>
        new(input, scheme, false, null, reason);
}
