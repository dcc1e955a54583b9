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

    /// <summary>The masked number is the masked form of a whole number that fails its check (a list's typo): right unless
    /// a visible character is the mistyped one, so another masked number is no evidence against it (the same one is for).</summary>
    public bool NumberMistyped { get; init; }

    /// <summary>Whether the masked number and the birth date make a whole number, check character included
    /// (<see cref="ResidentIdNumber.FitsBirthDate"/>): false, one of them is mistyped; null when either is not known.</summary>
    public bool? NumberFitsBirthDate => Masked is { } m && Born is { } d ? ResidentIdNumber.FitsBirthDate(m, d) : null;
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
/// <para>Persons: a different masked number, birth date or name is a different person — save one typo where the rest
/// pins the person down, each with its own line of evidence. A masked number and a birth date that make a whole number
/// together (the check character fits: <see cref="PersonFacts.NumberFitsBirthDate"/>) are that number, one person: with
/// both the same, a name of the same length that differs in one character other than the first (the surname) is a typo,
/// 0.2 instead of the name's 0.45 (0.9, a link with both and only with both). With the same masked number and name, a
/// birth date that makes no whole number with it is the mistyped one and counts nothing (0). With the same name and
/// birth date, masked numbers one character apart of which only one makes a whole number with the birth date are one
/// number mistyped, 0.25 instead of 0.5 (0.9): two valid numbers never differ in one character alone (the check
/// character catches every single substitution), so with one birth date one of them is wrong, and another person would
/// need to be a namesake born the same day whose own number was mistyped to within a character of this one. A different
/// surname, a typo without the birth date on both sides, two typos at once or a whole number that differs stay
/// different people; only a masked number known to come from a whole number that failed its check
/// (<see cref="PersonFacts.NumberMistyped"/>) is no evidence where it differs. The name (0.45) with the masked ID number
/// (0.5) links. Name, birth date (0.2) and region (0.1) only reach the review zone — two different people with a common
/// name and the same birthday are never linked on name evidence alone — but with the same address (the building, 0.25)
/// or the same mobile number (0.25; a landline, a household's, 0.15) they link: 0.9. Name with address and mobile
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
        if (a.FullNumber is { } fa && b.FullNumber is { } fb)
            return fa == fb ? Final(1.0, "whole ID number", "the same whole ID number") : Final(0, "whole ID number", "different whole ID numbers");
        var sameName = a.NormalizedName == b.NormalizedName;
        Evidence? masked = null, born = null, name = null;
        if (a.Masked is { } ma && b.Masked is { } mb)
        {
            if (ma == mb) masked = new Evidence("masked ID number", 0.5, "the same masked ID number");
            // a typo, not another person: two valid numbers never differ in one character alone (the check character
            // catches every single substitution), so with one birth date one is wrong, and the check says which
            else if (sameName && a.Born is { } x && x == b.Born && OneApart(ma, mb) && a.NumberFitsBirthDate != b.NumberFitsBirthDate)
                masked = new Evidence("masked ID number", 0.25,
                    "masked ID numbers one character apart, the birth date making a whole number with one only: the other mistyped");
            // a number known to be mistyped tells nothing where it differs: as if it were not there
            else if (!a.NumberMistyped && !b.NumberMistyped)
                return Final(0, "masked ID number", "the masked ID numbers differ (region, birth year or last four characters)");
        }
        if (a.Born is { } ba && b.Born is { } bb)
        {
            if (ba == bb) born = new Evidence("birth date", 0.2, "the same birth date");
            // the same masked number and name: a birth date that makes no whole number with it is mistyped, and tells
            // nothing (two birth dates that both do are two whole numbers: two people)
            else if (sameName && masked is not null && a.Masked == b.Masked && (a.NumberFitsBirthDate == false || b.NumberFitsBirthDate == false))
                born = new Evidence("birth date", 0, "different birth dates, one making no whole number with the masked ID number: mistyped");
            else return Final(0, "birth date", "different birth dates");
        }
        if (!sameName)
        {
            // the same masked number and birth date are one whole number (check included): one person, whatever a typo
            // made of a character of the given name — a namesake would need the same region, birth date and sequence
            if (masked is not null && a.Masked == b.Masked && born is not null && a.NumberFitsBirthDate == true
                && OneCharacterApart(a.NormalizedName, b.NormalizedName))
                name = new Evidence("name", 0.2, "the name differs in one character (not the surname), the masked ID number and birth date making one whole number: a typo");
            else return Final(0, "name", "different names");
        }

        var e = new List<Evidence> { name ?? new Evidence("name", 0.45, "the same name") };
        if (masked is not null) e.Add(masked);
        if (born is not null) e.Add(born);
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

    /// <summary>Two masked numbers of the same length that differ in exactly one (visible) character.</summary>
    private static bool OneApart(string a, string b)
    {
        if (a.Length != b.Length) return false;
        var differ = 0;
        for (var i = 0; i < a.Length && differ < 2; i++)
            if (a[i] != b[i]) differ++;
        return differ == 1;
    }

    /// <summary>Two names of the same length, at least two characters, with the same first character (the surname, or
    /// its first character) and exactly one other character different.</summary>
    private static bool OneCharacterApart(string a, string b)
    {
        var (x, y) = (a.EnumerateRunes().ToArray(), b.EnumerateRunes().ToArray());
        if (x.Length != y.Length || x.Length < 2 || x[0] != y[0]) return false;
        var differ = 0;
        for (var i = 1; i < x.Length; i++)
            if (x[i] != y[i]) differ++;
        return differ == 1;
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
