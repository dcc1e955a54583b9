using Hub.Domain.Identifiers;

namespace Hub.Domain.Resolution;

/// <summary>One piece of evidence in a match, with the weight it added (negative: against) — what the API shows.</summary>
public sealed record Evidence(string Feature, double Weight, string Detail);

/// <summary>What two references come to: a score in [0, 1], the evidence behind it, and the decision it means.</summary>
public sealed record MatchScore(double Score, IReadOnlyList<Evidence> Evidence)
{
    public MatchDecision Decision => Score >= MatchScorer.LinkThreshold ? MatchDecision.Link
        : Score >= MatchScorer.ReviewThreshold ? MatchDecision.Review : MatchDecision.Distinct;
}

public enum MatchDecision
{
    /// <summary>The same subject: linked automatically.</summary>
    Link,
    /// <summary>Perhaps the same: kept apart, and the pair goes to an operator's review queue.</summary>
    Review,
    /// <summary>Not the same, as far as the evidence goes.</summary>
    Distinct,
}

/// <summary>What the matcher knows of a person: the normalised name, whole or masked ID number, birth date, region,
/// address and phone as written (compared by <see cref="ContactKeys"/>).</summary>
public sealed record PersonFacts(string NormalizedName, string? FullNumber = null, string? MaskedNumber = null, DateOnly? BirthDate = null,
    string? Region = null, string? Address = null, string? Phone = null)
{
    // the keys follow their text through `with` too (an initialiser alone would copy the old key)
    public string? Address { get; init { field = value; AddressKey = ContactKeys.Address(value); } } = Address;

    public string? Phone { get; init { field = value; PhoneKey = ContactKeys.Phone(value); } } = Phone;

    public string? AddressKey { get; private set; } = ContactKeys.Address(Address);

    public string? PhoneKey { get; private set; } = ContactKeys.Phone(Phone);

    /// <summary>The masked form, given or from the whole number.</summary>
    public string? Masked => MaskedNumber ?? (FullNumber is { Length: 18 } f ? ResidentIdNumber.MaskNumber(f) : null);

    public DateOnly? Born => BirthDate ?? (FullNumber is { Length: 18 } f ? ResidentIdNumber.BirthDate(f) : null);

    /// <summary>The six-digit region of issue, given or from the number.</summary>
    public string? RegionCode => Region ?? ((FullNumber ?? MaskedNumber) is { Length: 18 } n ? n[..6] : null);
}

/// <summary>What the matcher knows of an organisation. <see cref="RepresentativeId"/> identifies the legal
/// representative (a hub id); <see cref="RepresentativeName"/> is their normalised name, weaker evidence used when no
/// identity of the representative is known on both sides — unless <see cref="RepresentativeNumber"/>, their ID number
/// as a list gives it (whole, normalised to 18 characters, or masked), tells with the name who they are by the persons'
/// rules (<see cref="MatchScorer.Score(PersonFacts, PersonFacts)"/>).</summary>
public sealed record OrganizationFacts(string Name, string? Uscc = null, string? OrganizationCode = null, string? Region = null,
    string? RepresentativeId = null, string? Address = null, string? Phone = null, string? RepresentativeName = null,
    string? RepresentativeNumber = null)
{
    /// <summary>The legal representative as a person the rules can compare: their name with the ID number, if any.</summary>
    public PersonFacts? Representative => RepresentativeName is { Length: > 0 } n
        ? RepresentativeNumber is { } x && x.Contains('*', StringComparison.Ordinal) ? new PersonFacts(n, MaskedNumber: x) : new PersonFacts(n, FullNumber: RepresentativeNumber)
        : null;

    public string Name { get; init { field = value; CoreName = OrganizationNames.Core(value); } } = Name;

    public string CoreName { get; private set; } = OrganizationNames.Core(Name);

    // the keys follow their text through `with` too (an initialiser alone would copy the old key)
    public string? Address { get; init { field = value; AddressKey = ContactKeys.Address(value); } } = Address;

    public string? Phone { get; init { field = value; PhoneKey = ContactKeys.Phone(value); } } = Phone;

    public string? AddressKey { get; private set; } = ContactKeys.Address(Address);

    public string? PhoneKey { get; private set; } = ContactKeys.Phone(Phone);

    /// <summary>The region given, or the registering authority's division in the USCC (its characters 3–8).</summary>
    public string? RegionCode => Region ?? (Uscc is { Length: 18 } u && u.AsSpan(2, 6).IndexOfAnyExceptInRange('0', '9') < 0 ? u[2..8] : null);
}

/// <summary>
/// Explainable scoring of two references to subjects (rules, not a trained model). Strong identifiers decide alone:
/// equal, the same; different, never. Below them, evidence adds up, each piece with its weight in the evidence list.
/// <para>Persons: a different masked number, birth date or name is a different person. The name (0.45) with the masked ID
/// number (0.5) links. Name, birth date (0.2) and region (0.1) only reach the review zone — two different people with a
/// common name and the same birthday are never linked on name evidence alone — but with the same address (the building,
/// 0.25) or the same mobile number (0.25; a landline, a household's, 0.15) they link: 0.9. Name with address and mobile
/// number links too, without a birth date; name with one of them, or with a landline and a birth date, is reviewed. A
/// different address or number counts nothing against: people move and change numbers.</para>
/// <para>Organisations: the core name (<see cref="OrganizationNames"/>, 0.55) with the same legal representative (0.35)
/// links; a representative of the same name is 0.25 where no identity is known on both sides, and where the lists give
/// the representative's ID number (whole or masked) the persons' rules tell whether it is the same person (0.35) or
/// another (−0.2). The same province adds
/// 0.1 and with the same address or phone (0.25 each) it links; address and phone together link without a region. Two
/// different cities of one province (both regions known to the city, from a region code or a USCC) are different
/// registration authorities and so different companies: −0.3, which address and phone together do not make up for (a
/// review at most) — sister companies of one trade name share buildings and switchboards. Different provinces count little (−0.05): a province is often an
/// agency's, not where the company is registered.</para>
/// </summary>
public static class MatchScorer
{
    public const double LinkThreshold = 0.9;
    public const double ReviewThreshold = 0.6;

    public static MatchScore Score(PersonFacts a, PersonFacts b)
    {
        var e = new List<Evidence>();
        if (a.FullNumber is { } fa && b.FullNumber is { } fb)
            return fa == fb ? Final(1.0, "whole ID number", "the same whole ID number") : Final(0, "whole ID number", "different whole ID numbers");
        if (a.Masked is { } ma && b.Masked is { } mb && ma != mb)
            return Final(0, "masked ID number", "the masked ID numbers differ (region, birth year or last four characters)");
        if (a.Born is { } ba && b.Born is { } bb && ba != bb)
            return Final(0, "birth date", "different birth dates");
        if (a.NormalizedName != b.NormalizedName)
            return Final(0, "name", "different names");

        e.Add(new Evidence("name", 0.45, "the same name"));
        if (a.Masked is not null && b.Masked is not null) e.Add(new Evidence("masked ID number", 0.5, "the same masked ID number"));
        if (a.Born is not null && b.Born is not null) e.Add(new Evidence("birth date", 0.2, "the same birth date"));
        if (a.RegionCode is { } ra && b.RegionCode is { } rb)
        {
            if (ra == rb) e.Add(new Evidence("region", 0.1, $"the same region {ra}"));
            else if (ra[..2] == rb[..2]) e.Add(new Evidence("province", 0.05, $"the same province {ra[..2]}"));
            else e.Add(new Evidence("province", -0.1, "different provinces"));
        }
        if (a.AddressKey is { } xa && xa == b.AddressKey) e.Add(new Evidence("address", 0.25, "the same address (building)"));
        if (a.PhoneKey is { } pa && pa == b.PhoneKey)
            e.Add(ContactKeys.IsMobile(pa) ? new Evidence("phone", 0.25, "the same mobile number") : new Evidence("phone", 0.15, "the same landline"));
        return new MatchScore(Math.Clamp(Math.Round(e.Sum(x => x.Weight), 4), 0, 0.99), e);
    }

    public static MatchScore Score(OrganizationFacts a, OrganizationFacts b)
    {
        if (a.Uscc is { } ua && b.Uscc is { } ub)
            return ua == ub ? Final(1.0, "USCC", "the same USCC") : Final(0, "USCC", "different USCCs: different legal entities");
        var oa = a.OrganizationCode ?? (a.Uscc is { Length: 18 } x ? x[8..17] : null);
        var ob = b.OrganizationCode ?? (b.Uscc is { Length: 18 } y ? y[8..17] : null);
        if (oa is not null && ob is not null)
            return oa == ob ? Final(1.0, "organisation code", "the same organisation code") : Final(0, "organisation code", "different organisation codes");
        if (a.CoreName != b.CoreName) return Final(0, "name", $"different names ({a.CoreName} / {b.CoreName})");

        var e = new List<Evidence> { new("name", 0.55, $"the same name, {a.CoreName}") };
        if (a.RepresentativeId is { } pa && b.RepresentativeId is { } pb)
            e.Add(pa == pb ? new Evidence("legal representative", 0.35, "the same legal representative")
                : new Evidence("legal representative", -0.2, "different legal representatives"));
        else if (a.Representative is { } repA && b.Representative is { } repB)
            e.Add(Representatives(repA, repB));
        if (a.RegionCode is { Length: >= 2 } ra && b.RegionCode is { Length: >= 2 } rb)
        {
            if (ra[..2] != rb[..2]) e.Add(new Evidence("province", -0.05, "different provinces"));
            else if (ra.Length >= 4 && rb.Length >= 4 && ra[..4] != rb[..4])
                e.Add(new Evidence("city", -0.3, $"different cities of province {ra[..2]} ({ra[..4]} / {rb[..4]}): different registration authorities"));
            else e.Add(new Evidence("province", 0.1, $"the same province {ra[..2]}"));
        }
        if (a.AddressKey is { } xa && xa == b.AddressKey) e.Add(new Evidence("address", 0.25, "the same address (building)"));
        if (a.PhoneKey is { } ta && ta == b.PhoneKey) e.Add(new Evidence("phone", 0.25, "the same phone number"));
        return new MatchScore(Math.Clamp(Math.Round(e.Sum(x => x.Weight), 4), 0, 0.99), e);
    }

    /// <summary>Two legal representatives known by name (and perhaps ID number), by the persons' rules: the same
    /// person (the same whole number, or masked number and name) counts as the same representative; another person (a
    /// different number or name) against; the same name and nothing that decides, as a representative of the same name.</summary>
    private static Evidence Representatives(PersonFacts a, PersonFacts b)
    {
        var person = Score(a, b);
        if (person.Decision == MatchDecision.Link)
            return new Evidence("legal representative", 0.35, a.FullNumber is not null && b.FullNumber is not null
                ? "the same legal representative (the same whole ID number)"
                : "the same legal representative (the same masked ID number and name)");
        if (person.Score == 0)
            return a.NormalizedName != b.NormalizedName
                ? new Evidence("legal representative's name", -0.2, "legal representatives of different names")
                : new Evidence("legal representative", -0.2, $"different legal representatives ({person.Evidence[0].Detail})");
        return new Evidence("legal representative's name", 0.25, "a legal representative of the same name");
    }

    private static MatchScore Final(double score, string feature, string detail) => new(score, [new Evidence(feature, score, detail)]);
}
