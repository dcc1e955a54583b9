using Hub.Contracts;
using Hub.Domain.Identifiers;

namespace Hub.Domain.Intake;

/// <summary>An identifier as stored in the index. Strong keys identify one subject and are unique in the index;
/// weak keys (a masked ID number) are kept for later matching but never link on their own.</summary>
public readonly record struct SubjectKey(string Scheme, string Value, bool Strong);

/// <summary>A subject reference after validation: normalised name, identifiers strongest first.</summary>
public sealed record SubjectKeys(
    SubjectKind Kind,
    string Name,
    string NormalizedName,
    IReadOnlyList<SubjectKey> Keys,
    string? RegionCode,
    DateOnly? BirthDate)
{
    /// <summary>The masked form of a resident ID number (digits 11-14 hidden), as public lists carry it: a weak key.</summary>
    public const string MaskedScheme = "ric-masked";


    /// <summary>A person's normalised name and birth date, a weak key that only finds candidates for a review.</summary>
    public const string NameBirthScheme = "name-birth";

    public static string NameBirthKey(string normalizedName, DateOnly born) => $"{normalizedName}|{born:yyyy-MM-dd}";

    public bool HasStrongKey => Keys.Count > 0 && Keys[0].Strong;

    /// <summary>An organisation's core name (<see cref="Resolution.OrganizationNames"/>), kept with the subject for name
    /// search; null for a person.</summary>
    public string? CoreName => Kind == SubjectKind.Organization ? Resolution.OrganizationNames.Core(Name) : null;

    /// <summary>The name-and-birth-date key of a person, if the birth date is known.</summary>
    public string? NameBirth => Keys.FirstOrDefault(k => k.Scheme == NameBirthScheme).Value;

    /// <summary>The masked ID number this reference carries or implies (a person's), for linking by weak evidence.</summary>
    public string? MaskedNumber => Keys.FirstOrDefault(k => k.Scheme == MaskedScheme).Value;

    /// <summary>Whether the reference carries a whole resident ID number.</summary>
    public bool HasFullNumber => Keys.Any(k => k.Scheme == "ric" && k.Strong);

    /// <summary>What may be shown to anyone: the USCC, or a person's masked number.</summary>
    public string? PublicIdentifier => Keys.Count == 0 || Keys[0].Scheme is NameBirthScheme ? null
        : Keys[0].Scheme == "ric" ? ResidentIdNumber.MaskNumber(Keys[0].Value)
        : Keys[0].Value;

    public static Decision<SubjectKeys> From(SubjectReference? reference, string path, bool identifierRequired)
    {
        if (reference is null) return new Rejection(Rejection.MissingField, $"{path} is missing");
        if (string.IsNullOrWhiteSpace(reference.Name)) return new Rejection(Rejection.MissingField, $"{path}.name is missing");
        var keys = new List<SubjectKey>(3);
        var birthDate = reference.BirthDate;
        if (reference.Kind == SubjectKind.Organization)
        {
            if (!string.IsNullOrWhiteSpace(reference.Uscc))
            {
                var uscc = Uscc.Check(reference.Uscc);
                if (!uscc.IsValid) return Invalid($"{path}.uscc", uscc);
                keys.Add(new("uscc", uscc.Normalized!, true));
                keys.Add(new("org-code", Uscc.EmbeddedOrganizationCode(uscc.Normalized!), true));
            }
            if (!string.IsNullOrWhiteSpace(reference.OrganizationCode))
            {
                var org = OrganizationCode.Check(reference.OrganizationCode);
                if (!org.IsValid) return Invalid($"{path}.organizationCode", org);
                if (keys.Count == 0) keys.Add(new("org-code", org.Normalized!, true));
                else if (keys[1].Value != org.Normalized)
                    return new Rejection(Rejection.InvalidIdentifier, $"{path}.organizationCode does not match positions 9-17 of {path}.uscc");
            }
        }
        else if (!string.IsNullOrWhiteSpace(reference.ResidentIdNumber))
        {
            var ric = ResidentIdNumber.Check(reference.ResidentIdNumber);
            if (!ric.IsValid) return Invalid($"{path}.residentIdNumber", ric);
            if (ric.Scheme == IdentifierScheme.ResidentId)
            {
                keys.Add(new("ric", ric.Normalized!, true));
                // the public lists' form of the same number: a notice that only has that finds this person by it
                keys.Add(new(MaskedScheme, ResidentIdNumber.MaskNumber(ric.Normalized!), false));
                birthDate ??= ResidentIdNumber.BirthDate(ric.Normalized!);
            }
            else keys.Add(new(MaskedScheme, ric.Normalized!, false));
        }
        // the grey-zone block: same name and birth date (never a link on its own; candidates for a review)
        if (reference.Kind == SubjectKind.Person && birthDate is { } born)
            keys.Add(new(NameBirthScheme, NameBirthKey(NameNormalizer.Normalize(reference.Name), born), false));
        if (identifierRequired && !keys.Any(k => k.Scheme != NameBirthScheme))
            return new Rejection(Rejection.MissingIdentifier, reference.Kind == SubjectKind.Organization
                ? $"{path} has neither a USCC nor an organisation code"
                : $"{path} has no resident ID number");
        if (reference.RegionCode is { } rc && Regions.ProvinceOf(rc) is null)
            return new Rejection(Rejection.InvalidIdentifier, $"{path}.regionCode '{rc}' names no province");
        return new SubjectKeys(reference.Kind, reference.Name.Trim(), NameNormalizer.Normalize(reference.Name), keys,
            reference.RegionCode, birthDate);

        static Rejection Invalid(string where, IdentifierCheck check) => new(Rejection.InvalidIdentifier, $"{where}: {check.Reason}");
    }
}
