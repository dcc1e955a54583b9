using System.Globalization;
using System.Text;
using Hub.Domain.Identifiers;

namespace Hub.DedupeQuality;

/// <summary>One row of a generated list: what the list says (name, ID number, birth date, region, address, phone), and
/// the truth — the entity it is, and how its ID number and name were written.</summary>
internal sealed record LabelledRow(string RowId, int Entity, string Name, string IdNumber, string BirthDate, string Region, string Address,
    string IdForm, string NameForm, string Phone = "", string Representative = "", string RepresentativeId = "", string RepresentativeForm = "");

/// <summary>
/// Generates lists of persons and of organisations as several agencies would have written them, with the truth. Every
/// rate is here, in one place, and the BENCHMARKS section repeats them.
/// <para>Persons: 8% bear one of the 30 commonest full names (张伟, 王芳, 李娜 …), 1.5% are Uyghur (given name · father's
/// name); 6% have a namesake with the same name and birth year in the same county or province, 1.5% one with the same name,
/// birth date and county (different people: another sequence number). 6% have moved: their region is another province's
/// in 70% of their rows. Each appears 1–8 times (mean ~2.4). A row's ID number: none (the share given to the constructor),
/// mistyped whole number 2%, mistyped masked number 0.5%, another person's whole number 0.2% (a shifted spreadsheet row);
/// of the rest 55% whole, 4% whole written with full-width digits, spaces or a lower-case x, 3% first-generation 15 digits
/// (born before 1985), 38% masked. Names: 3% with spaces, 2.5% a character typed for another (玮 for 伟), the dot of a Uyghur
/// name written another way in 45% of theirs. Birth date in 55% of rows (four ways of writing it, 1.5% mistyped); region in
/// 50% (a county code, 12% a province's name, 8% a city code).
/// Addresses and phones: every person has a home (a building: district, road, number; a room added in some rows); 25%
/// share it with an earlier person of their county (a household: a family member, another name), and a namesake of the
/// same county shares its namesake's building in 20% (a collective household, a dormitory, one compound). 10% moved
/// within their county and the 6% who moved province have a home there: half of their rows give the old home, half the
/// new. Each person has a mobile number of their own, 20% a second one (a changed number, half their rows), and 30% of
/// households a landline the household shares. Address in 45% of rows (60% as registered, 15% without the province,
/// 10% full-width digits, 15% with the room); phone in 30% (80% a mobile, 20% the household landline where there is
/// one; written with spaces, dashes or +86 in a third).</para>
/// <para>Organisations: trade names of two characters drawn with a skew (华信, 鑫源 … recur across provinces, as they do),
/// an industry and a company form; 5% have a sister company (same trade name and industry, another city of the province,
/// a third of them at the same address). 55% have a pre-2015 numeric organisation code, the rest an MA code. A row's
/// identifier: none (the share given), mistyped USCC 2%, a 15-digit business registration number 3%, another organisation's
/// USCC 0.2%; of the rest 85% USCC, 3% USCC in full-width or lower case, 12% the organisation code alone (pre-2015
/// organisations; else the USCC). Names: 50% as registered, else the company form swapped (有限公司/有限责任公司), the place
/// written another way (none, province and city, city in brackets), spaces, a trade-name character typed for another, bracket
/// styles, the English name (Co., Ltd. / Company Limited). Region in 60% of rows, address in 50% (a third written otherwise).
/// Phone in 35% of rows: the company's landline (70% of companies; 15% have a second, half their rows) or the contact's
/// mobile; a sister company at the same address shares the landline (one office); written with dashes, spaces or an
/// extension in a third.</para>
/// <para>Legal representatives (法定代表人), set before any run, not to reach the target: every organisation has one, a
/// person drawn as persons are (surnames by frequency, 8% one of the 30 commonest names — namesakes across companies
/// come from that), with a whole ID number of the organisation's province. A sister company has the parent's
/// representative in 60% (one owner, two cities); 3% of organisations are represented by the representative of an
/// earlier, unrelated organisation of the province (one person, several companies); 5% changed their representative:
/// 35% of their rows (older lists) name the earlier one. A row names the representative in 80% (court and credit lists
/// and registers carry the name; some legacy lists have no such column) — 3% with spaces, 2.5% a character typed for
/// another, as persons' names — and of those 30% give the ID number too: 65% masked (as courts publish it), 35% whole,
/// 2% of them mistyped (an invalid number).</para>
/// </summary>
internal sealed class LabelledSet(Random rng, double missing)
{
    private sealed record Person(int Id, string Name, bool Male, bool Uyghur, DateOnly Born, string Region, string Full, string? MovedTo,
        Household Home, Household? NewHome, string Mobile, string? Mobile2);

    /// <summary>A home: the building's address, and the household's landline if it has one.</summary>
    private sealed record Household(string Address, string? Landline);

    /// <summary>An organisation; <paramref name="Core"/> is its trade name and industry (皖东建设工程).</summary>
    private sealed record Organization(int Id, string Name, string Core, string Uscc, bool Legacy, string? English, string Province, string Region,
        string Address, string Phone, string? Phone2)
    {
        /// <summary>The legal representative now, and the one before for an organisation that changed.</summary>
        public Representative Current { get; set; } = null!;

        public Representative? Earlier { get; set; }

        public Organization? SisterOf { get; init; }
    }

    /// <summary>A legal representative: a person's name and whole ID number.</summary>
    private sealed record Representative(string Name, string Full);

    // ---- persons ----

    private List<Person> _persons = [];
    private List<Organization> _organizations = [];

    public List<LabelledRow> Persons(int count)
    {
        var entities = new List<Person>(count);
        while (entities.Count < count)
        {
            var p = NewPerson(entities.Count);
            entities.Add(p);
            if (rng.NextDouble() < 0.06 && entities.Count < count) entities.Add(Namesake(entities.Count, p, sameDate: false));
            if (rng.NextDouble() < 0.015 && entities.Count < count) entities.Add(Namesake(entities.Count, p, sameDate: true));
        }
        _persons = entities;
        var rows = new List<LabelledRow>();
        foreach (var p in entities)
            for (var k = Appearances(); k > 0; k--) rows.Add(PersonRow(p));
        return Numbered(rows, "P");
    }

    private Person NewPerson(int id)
    {
        var uyghur = rng.NextDouble() < 0.015;
        var province = uyghur ? China.Provinces.Single(p => p.Code == "65") : Weighted(China.Provinces, p => p.Weight);
        var male = rng.Next(2) == 0;
        var name = uyghur ? China.UyghurNames[rng.Next(China.UyghurNames.Length)] : HanName(male);
        var born = new DateOnly(1950, 1, 1).AddDays(rng.Next(54 * 365));
        var region = County(province);
        var moved = rng.NextDouble() < 0.06 ? County(Weighted(China.Provinces.Where(p => p != province).ToArray(), p => p.Weight)) : null;
        var home = rng.NextDouble() < 0.25 && _households.TryGetValue(region, out var local) && local.Count > 0
            ? local[rng.Next(local.Count)]
            : NewHousehold(region);
        var newHome = moved is not null ? NewHousehold(moved) : rng.NextDouble() < 0.10 ? NewHousehold(region) : null;
        return new Person(id, name, male, uyghur, born, region, Ric(region, born, male), moved, home, newHome, NewMobile(),
            rng.NextDouble() < 0.2 ? NewMobile() : null);
    }

    private readonly Dictionary<string, List<Household>> _households = [];

    /// <summary>A building in the county (district, road, number), 30% with a landline; kept for others to move in.</summary>
    private Household NewHousehold(string county)
    {
        var province = China.Provinces.Single(p => p.Code == county[..2]);
        var city = province.Cities.Single(c => county.StartsWith(c.Code4, StringComparison.Ordinal));
        var address = $"{province.FullName}{(city.Name == province.Name ? "" : city.Name + "市")}{China.Districts[rng.Next(China.Districts.Length)]}" +
                      $"{China.Roads[rng.Next(China.Roads.Length)]}{rng.Next(1, 999)}号";
        var household = new Household(address, rng.NextDouble() < 0.3 ? Landline() : null);
        if (!_households.TryGetValue(county, out var list)) _households[county] = list = [];
        list.Add(household);
        return household;
    }

    private readonly HashSet<string> _numbers = [];

    /// <summary>A mobile number no one else has (drawn again when taken).</summary>
    private string NewMobile()
    {
        while (true)
        {
            var n = $"1{"3456789"[rng.Next(7)]}{rng.Next(0, 1_000_000_000):000000000}";
            if (_numbers.Add(n)) return n;
        }
    }

    /// <summary>A landline: a three- or four-digit area code and eight digits, no one else's.</summary>
    private string Landline()
    {
        while (true)
        {
            var n = $"0{rng.Next(10, 1000)}{rng.Next(20_000_000, 89_999_999)}";
            if (_numbers.Add(n)) return n;
        }
    }

    /// <summary>A number as lists write it: as is, with spaces or dashes, or with +86 before a mobile.</summary>
    private string WrittenPhone(string n) => rng.NextDouble() switch
    {
        < 0.67 => n,
        < 0.78 when n[0] == '1' => $"{n[..3]} {n[3..7]} {n[7..]}",
        < 0.89 when n[0] == '1' => "+86 " + n,
        < 0.89 => $"{n[..^8]}-{n[^8..]}",
        _ when n[0] == '1' => $"{n[..3]}-{n[3..7]}-{n[7..]}",
        _ => $"({n[..^8]}){n[^8..]}",
    };

    /// <summary>An address as lists write it: as registered, without the province, with full-width digits, or with the room.</summary>
    private string WrittenAddress(string address)
    {
        var province = China.Provinces.First(p => address.StartsWith(p.FullName, StringComparison.Ordinal));
        return rng.NextDouble() switch
        {
            < 0.60 => address,
            < 0.75 => address[province.FullName.Length..],
            < 0.85 => string.Concat(address.Select(c => char.IsAsciiDigit(c) ? (char)(c + 0xFEE0) : c)),
            _ => address + $"{rng.Next(1, 20)}栋{rng.Next(1, 6)}单元{rng.Next(1, 30)}0{rng.Next(1, 5)}室",
        };
    }

    private Person Namesake(int id, Person of, bool sameDate)
    {
        var region = sameDate || rng.NextDouble() < 0.6 ? of.Region : County(China.Provinces.Single(p => p.Code == of.Region[..2]));
        var born = sameDate ? of.Born : new DateOnly(of.Born.Year, 1, 1).AddDays(rng.Next(365));
        string full;
        do full = Ric(region, born, of.Male); while (full == of.Full);
        // one compound, a dormitory or a collective household of the county: the namesake's building
        var home = region == of.Region && rng.NextDouble() < 0.2 ? of.Home with { Landline = null } : NewHousehold(region);
        return new Person(id, of.Name, of.Male, of.Uyghur, born, region, full, null, home, null, NewMobile(), null);
    }

    /// <summary>A whole ID number no one else has (numbers are unique: drawn again when taken).</summary>
    private string Ric(string region, DateOnly born, bool male)
    {
        while (true)
        {
            var first17 = region + born.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + (rng.Next(500) * 2 + (male ? 1 : 0)).ToString("000", CultureInfo.InvariantCulture);
            var full = first17 + ResidentIdNumber.CheckCharacter(first17);
            if (_issued.Add(full)) return full;
        }
    }

    private readonly HashSet<string> _issued = [];

    private LabelledRow PersonRow(Person p)
    {
        var u = rng.NextDouble();
        var (idForm, id) = u switch
        {
            _ when u < missing => ("none", ""),
            _ when u < missing + 0.02 => ("whole-typo", Typo(p.Full, 6, 17, "0123456789")),
            _ when u < missing + 0.025 => ("masked-typo", ResidentIdNumber.MaskNumber(Typo(p.Full, 14, 17, "0123456789"))),
            _ when u < missing + 0.027 => ("another-persons", _persons[rng.Next(_persons.Count)].Full),
            _ => ((u - missing - 0.027) / (1 - missing - 0.027)) switch
            {
                < 0.55 => ("whole", p.Full),
                < 0.59 => ("whole-written", Written(p.Full)),
                < 0.62 when p.Born.Year < 1985 => ("first-generation", p.Full[..6] + p.Full[8..17]),
                < 0.62 => ("whole", p.Full),
                _ => ("masked", ResidentIdNumber.MaskNumber(p.Full)),
            },
        };

        var (nameForm, name) = (rng.NextDouble(), p.Uyghur) switch
        {
            (< 0.45, true) => ("dot-variant", p.Name.Replace("·", China.DotVariants[rng.Next(China.DotVariants.Length)], StringComparison.Ordinal)),
            (< 0.03, false) => ("spaced", Spaced(p.Name)),
            (< 0.055, false) when Confused(p.Name, from: 1) is { } typo => ("typo", typo),
            _ => ("exact", p.Name),
        };

        var birth = "";
        if (rng.NextDouble() < 0.55)
        {
            var date = p.Born;
            if (rng.NextDouble() < 0.015)
            {
                date = date.AddDays(rng.Next(1, 4) * (rng.Next(2) == 0 ? -1 : 1));
                nameForm += "+birth-typo";
            }
            birth = date.ToString(new[] { "yyyy-MM-dd", "yyyyMMdd", "yyyy/M/d", "yyyy年M月d日" }[rng.Next(4)], CultureInfo.InvariantCulture);
        }
        var region = "";
        if (rng.NextDouble() < 0.5)
        {
            var code = p.MovedTo is { } moved && rng.NextDouble() < 0.7 ? moved : p.Region;
            region = rng.NextDouble() switch
            {
                < 0.80 => code,
                < 0.92 => China.Provinces.Single(x => x.Code == code[..2]).FullName,
                _ => code[..4],
            };
        }
        var home = p.NewHome is { } newHome && rng.Next(2) == 0 ? newHome : p.Home;
        var address = rng.NextDouble() < 0.45 ? WrittenAddress(home.Address) : "";
        var phone = "";
        if (rng.NextDouble() < 0.30)
            phone = WrittenPhone(rng.NextDouble() < 0.2 && home.Landline is { } landline ? landline
                : p.Mobile2 is { } second && rng.Next(2) == 0 ? second : p.Mobile);
        return new LabelledRow("", p.Id, name, id, birth, region, address, idForm, nameForm, phone);
    }

    /// <summary>A whole number as some lists write it: full-width digits, a lower-case x, or spaces between the parts.</summary>
    private string Written(string full) => rng.Next(3) switch
    {
        0 => string.Concat(full.Select(c => (char)(c + 0xFEE0))),
        1 when full.EndsWith('X') => full[..17] + "x",
        _ => $"{full[..6]} {full[6..14]} {full[14..]}",
    };

    // ---- organisations ----

    private static readonly string[] Forms = ["有限公司", "有限责任公司", "股份有限公司", "集团有限公司"];

    public List<LabelledRow> Organizations(int count)
    {
        var entities = new List<Organization>(count);
        while (entities.Count < count)
        {
            var o = NewOrganization(entities.Count, null);
            entities.Add(o);
            if (rng.NextDouble() < 0.05 && entities.Count < count && China.Provinces.Single(p => p.Code == o.Province).Cities.Length > 1)
                entities.Add(NewOrganization(entities.Count, o) with { SisterOf = o });
        }
        _organizations = entities;
        var byProvince = new Dictionary<string, List<Organization>>();
        foreach (var o in entities)
        {
            if (!byProvince.TryGetValue(o.Province, out var earlier)) byProvince[o.Province] = earlier = [];
            o.Current = o.SisterOf is { } sisterOf && rng.NextDouble() < 0.6 ? sisterOf.Current
                : earlier.Count > 0 && rng.NextDouble() < 0.03 ? earlier[rng.Next(earlier.Count)].Current
                : NewRepresentative(o.Province);
            if (rng.NextDouble() < 0.05) o.Earlier = NewRepresentative(o.Province);
            earlier.Add(o);
        }
        var rows = new List<LabelledRow>();
        foreach (var o in entities)
            for (var k = Appearances(); k > 0; k--) rows.Add(OrganizationRow(o));
        return Numbered(rows, "O");
    }

    private Organization NewOrganization(int id, Organization? sisterOf)
    {
        var province = sisterOf is null ? Weighted(China.Provinces, p => p.Weight) : China.Provinces.Single(p => p.Code == sisterOf.Province);
        var cities = sisterOf is null ? province.Cities : province.Cities.Where(c => !sisterOf.Region.StartsWith(c.Code4, StringComparison.Ordinal)).ToArray();
        var city = cities[rng.Next(cities.Length)];
        var region = city.Code4 + (2 + rng.Next(11)).ToString("00", CultureInfo.InvariantCulture);
        string name, core;
        string? english = null;
        if (sisterOf is null)
        {
            var (trade, tradePinyin, industry) = NewTradeName();
            var form = Weighted(Forms, f => f switch { "有限公司" => 72, "有限责任公司" => 15, "股份有限公司" => 9, _ => 4 });
            core = trade + industry.Han;
            var cityName = city.Name == province.Name ? "" : city.Name;
            name = rng.NextDouble() switch
            {
                < 0.50 when cityName.Length > 0 => cityName + "市" + core + form,
                < 0.75 => province.Name + core + form,
                < 0.85 when cityName.Length > 0 => core + "（" + cityName + "）" + form,
                _ => core + form,
            };
            if (rng.NextDouble() < 0.1)
                english = $"{China.ProvincePinyin[province.Code]} {tradePinyin} {industry.English} Co., Ltd.";
        }
        else
        {
            // the same trade name and industry, another city of the province: another company
            core = sisterOf.Core;
            name = (city.Name == province.Name ? province.Name : city.Name + "市") + core + "有限公司";
        }
        var legacy = rng.NextDouble() < 0.55;
        string body;
        do body = legacy // organisation codes are unique nationally: drawn again when taken
                ? rng.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture)
                : "MA" + new string(Enumerable.Range(0, 6).Select(_ => Uscc.Alphabet[rng.Next(Uscc.Alphabet.Length)]).ToArray());
        while (!_issued.Add(body));
        var first17 = "91" + region + body + OrganizationCode.CheckCharacter(body);
        var address = sisterOf is not null && rng.NextDouble() < 0.33
            ? sisterOf.Address
            : $"{province.FullName}{(city.Name == province.Name ? "" : city.Name + "市")}{China.Districts[rng.Next(China.Districts.Length)]}" +
              $"{China.Roads[rng.Next(China.Roads.Length)]}{rng.Next(1, 999)}号";
        var phone = sisterOf is not null && address == sisterOf.Address && rng.Next(2) == 0 ? sisterOf.Phone
            : rng.NextDouble() < 0.7 ? Landline() : NewMobile();
        return new Organization(id, name, core, first17 + Uscc.CheckCharacter(first17), legacy, english, province.Code, region, address, phone,
            rng.NextDouble() < 0.15 ? Landline() : null);
    }

    private (string Trade, string Pinyin, (string Han, string English) Industry) NewTradeName()
    {
        // the commonest trade characters recur: the index is skewed towards the start of the table
        (char Han, string Pinyin) Pick() => China.TradeCharacters[(int)(Math.Pow(rng.NextDouble(), 2.2) * China.TradeCharacters.Length)];
        var (a, b) = (Pick(), Pick());
        while (b.Han == a.Han) b = Pick();
        var pinyin = CultureInfo.InvariantCulture.TextInfo.ToTitleCase(a.Pinyin + b.Pinyin);
        return ($"{a.Han}{b.Han}", pinyin, China.Industries[rng.Next(China.Industries.Length)]);
    }

    private LabelledRow OrganizationRow(Organization o)
    {
        var code = Uscc.EmbeddedOrganizationCode(o.Uscc);
        var u = rng.NextDouble();
        var (idForm, id) = u switch
        {
            _ when u < missing => ("none", ""),
            _ when u < missing + 0.02 => ("uscc-typo", Typo(o.Uscc, 8, 17, Uscc.Alphabet)),
            _ when u < missing + 0.05 => ("registration-number", o.Region + rng.Next(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture)),
            _ when u < missing + 0.052 => ("another-organisations", _organizations[rng.Next(_organizations.Count)].Uscc),
            _ => ((u - missing - 0.052) / (1 - missing - 0.052)) switch
            {
                < 0.85 => ("uscc", o.Uscc),
                < 0.88 => ("uscc-written", rng.Next(2) == 0 ? string.Concat(o.Uscc.Select(c => (char)(c + 0xFEE0))) : o.Uscc.ToLowerInvariant()),
                _ when o.Legacy => ("org-code", rng.Next(10) < 6 ? code[..8] + "-" + code[8] : code),
                _ => ("uscc", o.Uscc),
            },
        };

        var name = o.Name;
        var nameForm = "exact";
        var v = rng.NextDouble();
        if (v < 0.50) { }
        else if (v < 0.60 && name.Contains('（'))
            (nameForm, name) = ("brackets", rng.Next(2) == 0 ? name.Replace('（', '(').Replace('）', ')') : name.Replace('（', '【').Replace('）', '】'));
        else if (v < 0.72)
            (nameForm, name) = ("form", name.EndsWith("股份有限公司", StringComparison.Ordinal) ? name
                : name.EndsWith("有限责任公司", StringComparison.Ordinal) ? name[..^6] + "有限公司" : name[..^4] + "有限责任公司");
        else if (v < 0.84) (nameForm, name) = ("place", Replaced(o));
        else if (v < 0.88) (nameForm, name) = ("spaced", SpacedOrganization(name));
        else if (v < 0.91 && Confused(name, from: 0, core: o.Core) is { } typo) (nameForm, name) = ("typo", typo);
        else if (v < 0.93 && o.English is { } english)
            (nameForm, name) = ("english", rng.Next(3) switch { 0 => english, 1 => english.Replace("Co., Ltd.", "Co.,Ltd", StringComparison.Ordinal), _ => english.Replace("Co., Ltd.", "Company Limited", StringComparison.Ordinal) });
        if (name == o.Name) nameForm = "exact";

        var region = "";
        if (rng.NextDouble() < 0.6)
            region = rng.NextDouble() switch
            {
                < 0.7 => o.Region,
                < 0.9 => China.Provinces.Single(p => p.Code == o.Province).FullName,
                _ => o.Region[..4],
            };
        var address = "";
        if (rng.NextDouble() < 0.5)
        {
            var province = China.Provinces.Single(p => p.Code == o.Province);
            address = rng.NextDouble() switch
            {
                < 0.65 => o.Address,
                < 0.80 => o.Address.StartsWith(province.FullName, StringComparison.Ordinal) ? o.Address[province.FullName.Length..] : o.Address,
                < 0.90 => string.Concat(o.Address.Select(c => char.IsAsciiDigit(c) ? (char)(c + 0xFEE0) : c)),
                _ => o.Address + $"{rng.Next(1, 30)}楼",
            };
        }
        var phone = "";
        if (rng.NextDouble() < 0.35)
        {
            var number = o.Phone2 is { } second && rng.Next(2) == 0 ? second : o.Phone;
            phone = number[0] == '0' && rng.NextDouble() < 0.1 ? $"{number[..^8]}-{number[^8..]}转{rng.Next(100, 999)}" : WrittenPhone(number);
        }
        var (representative, representativeId, representativeForm) = RepresentativeOf(o);
        return new LabelledRow("", o.Id, name, id, "", region, address, idForm, nameForm, phone, representative, representativeId, representativeForm);
    }

    /// <summary>A legal representative of the province: a name drawn as persons' are, a whole ID number (born 1950–1995).</summary>
    private Representative NewRepresentative(string provinceCode)
    {
        var male = rng.NextDouble() < 0.75;
        var name = HanName(male);
        var born = new DateOnly(1950, 1, 1).AddDays(rng.Next(46 * 365));
        return new Representative(name, Ric(County(China.Provinces.Single(p => p.Code == provinceCode)), born, male));
    }

    /// <summary>A Han name: 8% one of the commonest names of the sex, else a surname by frequency and a given name.</summary>
    private string HanName(bool male)
    {
        if (rng.NextDouble() < 0.08)
        {
            var common = China.CommonNames.Where(n => n.Male == male).ToArray();
            return common[rng.Next(common.Length)].Name;
        }
        var given = male ? China.MaleGiven : China.FemaleGiven;
        return Weighted(China.Surnames, s => s.Weight).Name + given[rng.Next(given.Length)];
    }

    /// <summary>The representative as a row gives it: the name in 80% of rows (the earlier one in 35% of an organisation
    /// that changed), written with spaces or a typed-for character now and then, and in 30% of those the ID number.</summary>
    private (string Name, string Id, string Form) RepresentativeOf(Organization o)
    {
        if (rng.NextDouble() >= 0.8) return ("", "", "none");
        var (rep, form) = o.Earlier is { } earlier && rng.NextDouble() < 0.35 ? (earlier, "earlier") : (o.Current, "name");
        var name = rep.Name;
        var v = rng.NextDouble();
        if (v < 0.03) (name, form) = (Spaced(name), form + "+spaced");
        else if (v < 0.055 && Confused(name, from: 1) is { } typo) (name, form) = (typo, form + "+typo");
        if (rng.NextDouble() >= 0.3) return (name, "", form);
        var w = rng.NextDouble();
        return w switch
        {
            < 0.02 => (name, Typo(rep.Full, 6, 17, "0123456789"), form + "+id-typo"),
            < 0.02 + 0.98 * 0.65 => (name, ResidentIdNumber.MaskNumber(rep.Full), form + "+masked"),
            _ => (name, rep.Full, form + "+whole"),
        };
    }

    /// <summary>The name with its place written another way: without it, with the province before the city, or the city in
    /// brackets after the trade name.</summary>
    private string Replaced(Organization o)
    {
        var province = China.Provinces.Single(p => p.Code == o.Province);
        var core = o.Core;
        var form = Forms.Where(f => o.Name.EndsWith(f, StringComparison.Ordinal)).MaxBy(f => f.Length) ?? "有限公司";
        var city = province.Cities.FirstOrDefault(c => o.Region.StartsWith(c.Code4, StringComparison.Ordinal))?.Name ?? province.Name;
        return rng.Next(4) switch
        {
            0 => core + form,
            1 when city != province.Name => province.FullName + city + "市" + core + form,
            2 when city != province.Name => core + "(" + city + ")" + form,
            _ => province.Name + core + form,
        };
    }

    private string SpacedOrganization(string name)
    {
        var at = rng.Next(1, name.Length - 1);
        return name[..at] + (rng.Next(2) == 0 ? " " : "\u3000") + name[at..];
    }

    // ---- shared ----

    /// <summary>1 to 8 appearances: 40% once, 25% twice, 15% three times, 10% four, 10% five to eight.</summary>
    private int Appearances() => rng.NextDouble() switch
    {
        < 0.40 => 1,
        < 0.65 => 2,
        < 0.80 => 3,
        < 0.90 => 4,
        _ => rng.Next(5, 9),
    };

    private List<LabelledRow> Numbered(List<LabelledRow> rows, string prefix)
    {
        // the rows of one entity are scattered through the list, as when several agencies' lists are put together
        for (var i = rows.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (rows[i], rows[j]) = (rows[j], rows[i]);
        }
        return rows.Select((r, i) => r with { RowId = $"{prefix}{i + 1:0000000}" }).ToList();
    }

    private string County(China.Province province)
    {
        var city = province.Cities[rng.Next(province.Cities.Length)];
        return city.Code4 + (2 + rng.Next(11)).ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>One character of <paramref name="alphabet"/> replaced by another in positions [from, to).</summary>
    private string Typo(string value, int from, int to, string alphabet)
    {
        var chars = value.ToCharArray();
        var at = rng.Next(from, to);
        char c;
        do c = alphabet[rng.Next(alphabet.Length)]; while (c == chars[at]);
        chars[at] = c;
        return new string(chars);
    }

    private string Spaced(string name) => rng.Next(2) == 0 ? name[..1] + " " + name[1..] : string.Join(" ", name.ToCharArray());

    /// <summary>The name with one character (of the given name, or of the trade name in <paramref name="core"/>)
    /// replaced by one typed for it; null when none of its characters has a usual confusion.</summary>
    private string? Confused(string name, int from, string? core = null)
    {
        var start = core is null ? from : Math.Max(0, name.IndexOf(core, StringComparison.Ordinal));
        var end = core is null ? name.Length : start + Math.Min(2, core.Length);
        var candidates = Enumerable.Range(start, Math.Max(0, end - start)).Where(i => China.Confusions.ContainsKey(name[i])).ToList();
        if (candidates.Count == 0) return null;
        var at = candidates[rng.Next(candidates.Count)];
        var options = China.Confusions[name[at]];
        var sb = new StringBuilder(name) { [at] = options[rng.Next(options.Length)] };
        return sb.ToString();
    }

    private T Weighted<T>(IReadOnlyList<T> items, Func<T, double> weight)
    {
        var total = items.Sum(weight);
        var x = rng.NextDouble() * total;
        foreach (var item in items)
        {
            x -= weight(item);
            if (x < 0) return item;
        }
        return items[^1];
    }
}
