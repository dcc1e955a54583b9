using System.Globalization;
using System.Text;
using Hub.Contracts;
using Hub.Domain.Identifiers;

namespace Hub.Domain.Resolution;

/// <summary>One row of a list to de-duplicate, as the file has it: text, not yet checked.</summary>
/// <param name="Representative">An organisation's legal representative's name.</param>
/// <param name="RepresentativeId">Their ID number, whole or masked (used with <paramref name="Representative"/> only).</param>
public sealed record DedupeRow(string Name, string? IdNumber = null, string? BirthDate = null, string? Region = null, string? Address = null,
    string? Phone = null, string? Representative = null, string? RepresentativeId = null);

public enum DedupeField
{
    Name,
    IdNumber,
    BirthDate,
    Region,
    Address,
    Phone,
    Representative,
    RepresentativeId,
}

/// <summary>A field of a row (0-based) that could not be used as written: it is treated as absent, or used only as far
/// as the message says (the masked form of a mistyped number, a birth date the masked number contradicts). Never holds
/// a whole ID number.</summary>
public sealed record DedupeProblem(int Row, DedupeField Field, string Message);

/// <summary>A grey pair for an operator: two rows (0-based) of different clusters, with the score and evidence.</summary>
public sealed record DedupeReview(int RowA, int RowB, MatchScore Score);

/// <summary>The clusters (for every row, the index of its cluster's first row), the grey pairs, and notes on how the
/// comparison was bounded.</summary>
public sealed record DedupeResult(IReadOnlyList<int> ClusterOf, IReadOnlyList<DedupeReview> Reviews, IReadOnlyList<string> Notes)
{
    public int Clusters => ClusterOf.Where((c, i) => c == i).Count();
}

/// <summary>
/// De-duplicates a list of persons or of organisations with the aggregator's rules: every decision is
/// <see cref="MatchScorer"/>'s, a <see cref="MatchDecision.Link"/> joins two rows' clusters, a
/// <see cref="MatchDecision.Review"/> only reports the pair.
/// <para>
/// Candidates come from blocking keys in dictionaries, never from comparing every row with every other: rows with
/// identical facts are one group (compared once); groups meet only when they share a whole ID number or USCC, a masked
/// ID number with the name or with a birth date that makes a whole number with it (persons: a name with a character
/// mistyped) or an organisation code (organisations), or the name with the birth date (also a masked number with a
/// character mistyped), the address or the phone (persons) or the core name, alone and with the legal representative's
/// name (organisations), where the rules link with further evidence or review. Pairs the strong identifiers already
/// decide are not scored again. A block larger than <see cref="Window"/> groups compares each group with the
/// <see cref="Window"/> groups before it only (and says so in <see cref="DedupeResult.Notes"/>).
/// </para>
/// <para>
/// Clusters are joined with union-find, and never so that one cluster holds two whole ID numbers, two birth dates or
/// two masked ID numbers (persons; a birth date that makes no whole number with the row's masked number may be the
/// mistyped one of the two, and neither counts), two USCCs, two organisation codes or two cities (organisations): as in
/// the aggregator, a row that two such subjects fit (a masked number and name shared by two people with whole numbers)
/// links to neither, and a link that would chain two of them together is refused; both go to the review queue instead.
/// Links are applied strongest first, then in row order, so the result does not depend on dictionary order. A cluster
/// is named by its first row.
/// </para>
/// <para>
/// A person's whole number that fails its check (a character mistyped) is no whole number; its masked form is used as a
/// masked number, right unless the typo is in a visible character, which a birth date given beside it shows.
/// </para>
/// </summary>
public sealed class Deduplicator(SubjectKind kind)
{
    /// <summary>In a block of more groups than this, each group is compared with this many before it.</summary>
    public const int Window = 200;

    private readonly List<int> _groupOf = [];
    private readonly List<int> _nextInGroup = [];
    private readonly List<Group> _groups = [];
    private readonly Dictionary<PersonFacts, int> _persons = [];
    private readonly Dictionary<OrganizationFacts, int> _organizations = [];

    public SubjectKind Kind => kind;

    public int Count => _groupOf.Count;

    /// <summary>Adds a row; what could not be used is returned (and treated as absent). A row without a name is kept
    /// apart: it gets a cluster of its own.</summary>
    public IReadOnlyList<DedupeProblem> Add(DedupeRow row)
    {
        var index = Count;
        var problems = new List<DedupeProblem>();
        var name = NameNormalizer.Normalize(row.Name ?? "");
        if (name.Length == 0)
        {
            problems.Add(new DedupeProblem(index, DedupeField.Name, "no name: the row is kept apart, in a cluster of its own"));
            AddUnmatched();
            return problems;
        }
        var region = Region(row.Region, index, problems);
        if (kind == SubjectKind.Person) AddPerson(row, name, region, index, problems);
        else AddOrganization(row, region, index, problems);
        return problems;
    }

    /// <summary>Adds a row that is not to be matched (unreadable): a cluster of its own.</summary>
    public void AddUnmatched()
    {
        _groupOf.Add(-1);
        _nextInGroup.Add(-1);
    }

    private void AddPerson(DedupeRow row, string name, string? region, int index, List<DedupeProblem> problems)
    {
        string? full = null, masked = null;
        var mistyped = false;
        if (!string.IsNullOrWhiteSpace(row.IdNumber))
        {
            var check = ResidentIdNumber.Check(row.IdNumber);
            if (check.IsValid)
            {
                if (check.Scheme == IdentifierScheme.ResidentIdMasked) masked = check.Normalized;
                else full = check.Normalized;
            }
            else if (MaskedFormOfMistyped(row.IdNumber) is { } form)
            {
                // a whole number with a character wrong (its check fails) is no whole number, but its masked form is
                // right when the typo is in the birth month or day; where a visible character is wrong, the birth date
                // given beside it shows it (PersonFacts.NumberFitsBirthDate), and another masked number does not count
                // against it
                (masked, mistyped) = (form, true);
                problems.Add(new DedupeProblem(index, DedupeField.IdNumber,
                    Masked($"{Hide(row.IdNumber)} is not an ID number ({check.Reason}): only its masked form is used, as a masked number's")));
            }
            else problems.Add(new DedupeProblem(index, DedupeField.IdNumber, Masked($"{Hide(row.IdNumber)} is not an ID number ({check.Reason}): treated as absent")));
        }
        var born = BirthDate(row.BirthDate, index, problems);
        if (born is { } b && full is not null && b != ResidentIdNumber.BirthDate(full))
        {
            problems.Add(new DedupeProblem(index, DedupeField.BirthDate, "the birth date is not the one in the ID number: the ID number's is used"));
            born = null;
        }
        // kept: which of the two is mistyped shows against another row's (PersonFacts.NumberFitsBirthDate)
        if (born is { } y && masked is not null && y.Year != int.Parse(masked.AsSpan(6, 4), CultureInfo.InvariantCulture))
            problems.Add(new DedupeProblem(index, DedupeField.BirthDate,
                "the birth year is not the one in the masked ID number: one of them is mistyped, so another birth date does not set this row apart"));
        var facts = new PersonFacts(name, full, masked, born, region, Trimmed(row.Address), Trimmed(row.Phone)) { NumberMistyped = mistyped };
        Join(_persons, facts, () => new Group(Count, facts, null));
    }

    private void AddOrganization(DedupeRow row, string? region, int index, List<DedupeProblem> problems)
    {
        string? uscc = null, code = null;
        if (!string.IsNullOrWhiteSpace(row.IdNumber))
        {
            var n = IdentifierText.Normalize(row.IdNumber).Replace("-", "", StringComparison.Ordinal);
            var check = n.Length switch
            {
                18 => Uscc.Check(row.IdNumber),
                9 => OrganizationCode.Check(row.IdNumber),
                _ => null,
            };
            if (check is { IsValid: true, Scheme: IdentifierScheme.Uscc }) uscc = check.Normalized;
            else if (check is { IsValid: true }) code = check.Normalized;
            else
                problems.Add(new DedupeProblem(index, DedupeField.IdNumber, Masked(check is null
                    ? $"{row.IdNumber.Trim()} is neither a USCC (18 characters) nor an organisation code (9): treated as absent"
                    : $"{row.IdNumber.Trim()} is not a valid {(check.Scheme == IdentifierScheme.Uscc ? "USCC" : "organisation code")} ({check.Reason}): treated as absent")));
        }
        var (representative, representativeNumber) = Representative(row, index, problems);
        var facts = new OrganizationFacts(row.Name.Trim(), uscc, code, region, Address: Trimmed(row.Address), Phone: Trimmed(row.Phone),
            RepresentativeName: representative, RepresentativeNumber: representativeNumber);
        Join(_organizations, facts, () => new Group(Count, null, facts));
    }

    /// <summary>The legal representative: the name normalised as persons' names are, and their ID number checked as a
    /// person's (whole, 15 digits upgraded, or masked); an ID number without a name, or an invalid one, is treated as
    /// absent and reported.</summary>
    private static (string? Name, string? Number) Representative(DedupeRow row, int index, List<DedupeProblem> problems)
    {
        var name = NameNormalizer.Normalize(row.Representative ?? "");
        string? number = null;
        if (!string.IsNullOrWhiteSpace(row.RepresentativeId))
        {
            var check = ResidentIdNumber.Check(row.RepresentativeId);
            if (!check.IsValid)
                problems.Add(new DedupeProblem(index, DedupeField.RepresentativeId,
                    Masked($"{Hide(row.RepresentativeId)} is not an ID number ({check.Reason}): treated as absent")));
            else if (name.Length == 0)
                problems.Add(new DedupeProblem(index, DedupeField.RepresentativeId, "an ID number without the representative's name: treated as absent"));
            else number = check.Normalized;
        }
        return (name.Length == 0 ? null : name, number);
    }

    /// <summary>The masked form of an 18-character whole number that is not valid (its check character or birth date is
    /// wrong), if that form is a valid masked number (the region, the birth year, the sequence and check are digits).</summary>
    private static string? MaskedFormOfMistyped(string text)
    {
        var n = IdentifierText.Normalize(text);
        if (n.Length != 18 || n.Contains('*', StringComparison.Ordinal)) return null;
        var check = ResidentIdNumber.Check(ResidentIdNumber.MaskNumber(n));
        return check is { IsValid: true, Scheme: IdentifierScheme.ResidentIdMasked } ? check.Normalized : null;
    }

    private static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private void Join<TFacts>(Dictionary<TFacts, int> index, TFacts facts, Func<Group> create) where TFacts : notnull
    {
        var row = Count;
        if (index.TryGetValue(facts, out var g))
        {
            var group = _groups[g];
            _nextInGroup[group.Last] = row;
            group.Last = row;
            group.Size++;
        }
        else
        {
            g = _groups.Count;
            index.Add(facts, g);
            _groups.Add(create());
        }
        _groupOf.Add(g);
        _nextInGroup.Add(-1);
    }

    public DedupeResult Cluster()
    {
        var n = Count;
        var sets = new Clusters(n);
        var reviews = new List<Edge>();
        var notes = new List<string>();
        foreach (var g in _groups)
            for (var r = g.First; r >= 0; r = _nextInGroup[r])
                sets.Set(r, g.Strong, g.Second, g.Third);

        // 1. rows with the same facts: one decision for the whole group
        var selfJoined = new bool[_groups.Count];
        for (var g = 0; g < _groups.Count; g++)
        {
            var group = _groups[g];
            if (group.Size == 1) { selfJoined[g] = true; continue; }
            var self = Score(group, group);
            if (self.Decision == MatchDecision.Link)
            {
                selfJoined[g] = true;
                for (var r = _nextInGroup[group.First]; r >= 0; r = _nextInGroup[r]) sets.Union(group.First, r, forced: true);
            }
            else if (self.Decision == MatchDecision.Review)
                for (var r = _nextInGroup[group.First]; r >= 0; r = _nextInGroup[r]) reviews.Add(new Edge(group.First, r, self));
        }

        // 2. the same whole ID number or USCC: the same subject, whatever else differs
        var byStrong = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var g = 0; g < _groups.Count; g++)
        {
            if (_groups[g].Strong is not { } key) continue;
            if (!byStrong.TryAdd(key, g))
            {
                var other = _groups[byStrong[key]];
                var score = Score(_groups[g], other);
                if (score.Decision == MatchDecision.Link) sets.Union(other.First, _groups[g].First, forced: true);
            }
        }

        // 3. candidates from blocks: the masked number and name, or the organisation code, for links; name and birth
        // date, or core name, for the review queue
        var linkBlocks = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var reviewBlocks = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var g = 0; g < _groups.Count; g++)
        {
            var group = _groups[g];
            foreach (var lb in group.LinkBlocks) Add(linkBlocks, lb, g);
            foreach (var rb in group.ReviewBlocks) Add(reviewBlocks, rb, g);
        }
        var links = new List<(int G, int H, MatchScore Score)>();
        Compare(linkBlocks, (a, b) => a.Strong is null || b.Strong is null,
            kind == SubjectKind.Person ? "masked ID number with the name or the birth date" : "organisation code");
        // pairs of one masked number were compared in its block already; of two whole numbers, the numbers decide
        Compare(reviewBlocks, (a, b) => (a.Weak is null || b.Weak is null || a.Weak != b.Weak) && (a.Strong is null || b.Strong is null),
            kind == SubjectKind.Person ? "name with birth date, address or phone" : "core name");

        // 4. a group that subjects the rules keep apart both fit links to none of them (as the aggregator)
        var neighbours = new Dictionary<int, List<int>>();
        foreach (var (g, h, _) in links)
        {
            Add(neighbours, g, h);
            Add(neighbours, h, g);
        }
        var ambiguous = new HashSet<int>();
        foreach (var (g, others) in neighbours)
        {
            if (others.Count < 2) continue;
            var probe = sets.Start(_groups[g].First);
            foreach (var h in others)
                if (!probe.Take(sets, _groups[h].First)) { ambiguous.Add(g); break; }
        }

        // 5. links, strongest first, then in row order; none that would put two whole numbers (USCCs), birth dates
        // (organisation codes) or masked numbers (cities) in one cluster
        links.Sort((x, y) =>
        {
            var c = y.Score.Score.CompareTo(x.Score.Score);
            if (c != 0) return c;
            c = Math.Min(_groups[x.G].First, _groups[x.H].First).CompareTo(Math.Min(_groups[y.G].First, _groups[y.H].First));
            return c != 0 ? c : Math.Max(_groups[x.G].First, _groups[x.H].First).CompareTo(Math.Max(_groups[y.G].First, _groups[y.H].First));
        });
        foreach (var (g, h, score) in links)
        {
            var (a, b) = (_groups[g], _groups[h]);
            if (ambiguous.Contains(g) || ambiguous.Contains(h))
            {
                reviews.Add(new Edge(a.First, b.First, With(score, "ambiguous", "kept apart: subjects that the rules keep apart both fit one of these rows")));
                continue;
            }
            var joined = true;
            foreach (var r in selfJoined[g] ? [a.First] : Rows(a))
                foreach (var s in selfJoined[h] ? [b.First] : Rows(b))
                    joined &= sets.Union(r, s, forced: false);
            if (!joined)
                reviews.Add(new Edge(a.First, b.First, With(score, "conflict",
                    kind == SubjectKind.Person
                        ? "kept apart: linking would put two whole ID numbers, birth dates or masked ID numbers in one cluster"
                        : "kept apart: linking would put two USCCs, two organisation codes or two cities in one cluster")));
        }

        // 6. clusters named by their first row; grey pairs between different clusters, the best pair per two clusters
        var first = new int[n];
        Array.Fill(first, -1);
        var clusterOf = new int[n];
        for (var r = 0; r < n; r++)
        {
            var root = sets.Find(r);
            if (first[root] < 0) first[root] = r;
            clusterOf[r] = first[root];
        }
        var best = new Dictionary<(int, int), Edge>();
        foreach (var e in reviews)
        {
            var (ca, cb) = (clusterOf[e.RowA], clusterOf[e.RowB]);
            if (ca == cb) continue;
            var key = (Math.Min(ca, cb), Math.Max(ca, cb));
            if (!best.TryGetValue(key, out var known) || known.Score.Score < e.Score.Score) best[key] = e;
        }
        var grey = best.OrderBy(p => p.Key).Select(p => p.Value.RowA < p.Value.RowB
            ? new DedupeReview(p.Value.RowA, p.Value.RowB, p.Value.Score)
            : new DedupeReview(p.Value.RowB, p.Value.RowA, p.Value.Score)).ToList();
        return new DedupeResult(clusterOf, grey, notes);

        void Compare(Dictionary<string, List<int>> blocks, Func<Group, Group, bool> worth, string what)
        {
            var compared = new HashSet<(int, int)>();
            foreach (var block in blocks.Values)
            {
                if (block.Count < 2) continue;
                if (block.Count > Window + 1)
                    notes.Add($"{block.Count} different rows share a {what} (the first is data row {_groups[block[0]].First + 1}): " +
                              $"each was compared with the {Window} before it only");
                for (var i = 1; i < block.Count; i++)
                {
                    var a = _groups[block[i]];
                    for (var j = Math.Max(0, i - Window); j < i; j++)
                    {
                        var b = _groups[block[j]];
                        if (!worth(a, b) || !compared.Add((block[j], block[i]))) continue;
                        var score = Score(b, a);
                        if (score.Decision == MatchDecision.Link) links.Add((block[j], block[i], score));
                        else if (score.Decision == MatchDecision.Review) reviews.Add(new Edge(b.First, a.First, score));
                    }
                }
            }
        }
    }

    /// <summary>The rows of a group whose rows the rules do not join to each other (never so far: a link needs an
    /// identifier, and identical facts with one link).</summary>
    private IEnumerable<int> Rows(Group g)
    {
        for (var r = g.First; r >= 0; r = _nextInGroup[r]) yield return r;
    }

    private static MatchScore Score(Group a, Group b) => a.Person is { } p
        ? MatchScorer.Score(p, b.Person!)
        : MatchScorer.Score(a.Organization!, b.Organization!);

    private static MatchScore With(MatchScore score, string feature, string detail) =>
        new(score.Score, [.. score.Evidence, new Evidence(feature, 0, detail)]);

    private static void Add<TKey>(Dictionary<TKey, List<int>> map, TKey key, int value) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(value);
    }

    private static readonly string[] DateFormats =
    [
        "yyyy-MM-dd", "yyyy-M-d", "yyyyMMdd", "yyyy/MM/dd", "yyyy/M/d", "yyyy.MM.dd", "yyyy.M.d", "yyyy年M月d日",
        "yyyy-MM-dd HH:mm:ss", "yyyy/M/d H:mm:ss", "yyyy/M/d H:mm",
    ];

    /// <summary>A birth date in one of the usual ways of writing it (yyyy-MM-dd, yyyyMMdd, yyyy/M/d, yyyy年M月d日, …).</summary>
    public static DateOnly? ParseBirthDate(string text)
    {
        var t = text.Normalize(NormalizationForm.FormKC).Trim();
        return DateTime.TryParseExact(t, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) && d.Year is >= 1900 and <= 2100
            ? DateOnly.FromDateTime(d)
            : null;
    }

    private static DateOnly? BirthDate(string? text, int index, List<DedupeProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (ParseBirthDate(text) is { } d) return d;
        problems.Add(new DedupeProblem(index, DedupeField.BirthDate,
            Masked($"'{text.Trim()}' is not a birth date (yyyy-MM-dd, yyyyMMdd, yyyy/M/d or yyyy年M月d日, 1900-2100): treated as absent")));
        return null;
    }

    /// <summary>A region: a GB/T 2260 code of 2, 4 or 6 digits, or text that begins with a province's name (安徽,
    /// 安徽省滁州市); the province code then.</summary>
    public static string? ParseRegion(string text)
    {
        var t = IdentifierText.Normalize(text.Normalize(NormalizationForm.FormKC));
        if (t.Length is 2 or 4 or 6 && t.All(char.IsAsciiDigit))
            return Regions.IsProvinceOrPermit(t.AsSpan(0, 2)) ? t : null;
        return Regions.Provinces.Where(p => t.StartsWith(p.Name, StringComparison.Ordinal)).MaxBy(p => p.Name.Length)?.Code;
    }

    private static string? Region(string? text, int index, List<DedupeProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (ParseRegion(text) is { } code) return code;
        problems.Add(new DedupeProblem(index, DedupeField.Region,
            Masked($"'{text.Trim()}' is not a region (a GB/T 2260 code of 2, 4 or 6 digits, or a province's name): treated as absent")));
        return null;
    }

    /// <summary>An invalid ID number as a message may show it: the first six and last four characters at most.</summary>
    public static string Hide(string idNumber)
    {
        var n = IdentifierText.Normalize(idNumber);
        return n.Length >= 12 ? n[..6] + new string('*', n.Length - 10) + n[^4..] : new string('*', n.Length);
    }

    /// <summary>Anything in a message that could be a whole ID number, masked.</summary>
    private static string Masked(string message) => ResidentIdNumber.MaskAllIn(message);

    private sealed record Edge(int RowA, int RowB, MatchScore Score);

    /// <summary>Rows with identical facts, chained through <c>_nextInGroup</c>.</summary>
    private sealed class Group
    {
        public Group(int first, PersonFacts? person, OrganizationFacts? organization)
        {
            (First, Last, Person, Organization) = (first, first, person, organization);
            if (person is not null)
            {
                Strong = person.FullNumber;
                Weak = person.Masked;
                // a birth date that makes no whole number with the masked number may be the mistyped one of the two: it
                // does not keep the row from a cluster of another birth date
                var fits = person.NumberFitsBirthDate;
                var born = person.Born?.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
                Second = fits == false ? null : born;
                Third = fits == true || (fits is null && !person.NumberMistyped) ? Weak : null;
                // the masked number with the name, and with the birth date where the two make a whole number (a name
                // with a character mistyped is still that person's)
                LinkBlocks = Weak is null ? []
                    : fits == true ? [Weak + "\u001f" + person.NormalizedName, Weak + "\u001fb" + born]
                    : [Weak + "\u001f" + person.NormalizedName];
                // the name with each of birth date, address and phone: where the rules can link or review without a
                // number, or with a masked number one of them mistyped
                ReviewBlocks = new[] { born is null ? null : "b" + born, person.AddressKey is { } x ? "a" + x : null, person.PhoneKey is { } t ? "t" + t : null }
                    .OfType<string>().Select(k => k + "\u001f" + person.NormalizedName).ToArray();
            }
            else
            {
                Strong = organization!.Uscc;
                Weak = organization.OrganizationCode ?? (Strong is null ? null : Uscc.EmbeddedOrganizationCode(Strong));
                Second = Weak;
                Third = organization.RegionCode is { Length: >= 4 } place ? place[..4] : null;
                LinkBlocks = Weak is null ? [] : [Weak];
                // the core name, and with the representative's name: a large block of one trade name still meets
                // the rows that name the same representative
                ReviewBlocks = organization.RepresentativeName is { } rep ? [organization.CoreName, organization.CoreName + "\u001fr" + rep] : [organization.CoreName];
            }
        }

        public int First { get; }
        public int Last { get; set; }
        public int Size { get; set; } = 1;
        public PersonFacts? Person { get; }
        public OrganizationFacts? Organization { get; }

        /// <summary>Whole ID number / USCC: equal decides alone.</summary>
        public string? Strong { get; }

        /// <summary>Masked ID number / organisation code.</summary>
        public string? Weak { get; }

        /// <summary>What a cluster holds one of at most besides <see cref="Strong"/>: birth date / organisation code.</summary>
        public string? Second { get; }

        /// <summary>What a cluster holds one of at most besides these, unless a strong identifier forced it. An
        /// organisation's city (its registration authority, from the region or the USCC), when known: sister companies
        /// of one trade name and representative in two cities are not chained together by a row that names neither
        /// city. A person's masked number, unless it may be the mistyped one (its row's birth date makes no whole number
        /// with it, or it comes from a whole number that failed its check): two people of one name and birth date at
        /// one building are not chained together by a row without a number that fits both.</summary>
        public string? Third { get; }

        public string[] LinkBlocks { get; } = [];
        public string[] ReviewBlocks { get; } = [];
    }

    /// <summary>Union-find over rows; each cluster holds at most one whole number (USCC), one birth date (organisation
    /// code) and one masked number (city) unless a strong identifier forced it.</summary>
    private sealed class Clusters
    {
        private readonly int[] _parent;
        private readonly int[] _size;
        private readonly string?[] _strong;
        private readonly string?[] _second;
        private readonly string?[] _third;

        public Clusters(int n)
        {
            _parent = new int[n];
            _size = new int[n];
            _strong = new string?[n];
            _second = new string?[n];
            _third = new string?[n];
            for (var i = 0; i < n; i++) (_parent[i], _size[i]) = (i, 1);
        }

        public void Set(int row, string? strong, string? second, string? third) => (_strong[row], _second[row], _third[row]) = (strong, second, third);

        public int Find(int x)
        {
            var root = x;
            while (_parent[root] != root) root = _parent[root];
            while (_parent[x] != root) (x, _parent[x]) = (_parent[x], root);
            return root;
        }

        /// <summary>Joins the clusters of two rows; unless forced, not when they hold different whole numbers or
        /// birth dates (USCCs or organisation codes). False when refused.</summary>
        public bool Union(int a, int b, bool forced)
        {
            var (ra, rb) = (Find(a), Find(b));
            if (ra == rb) return true;
            if (!forced && (Differ(_strong[ra], _strong[rb]) || Differ(_second[ra], _second[rb]) || Differ(_third[ra], _third[rb]))) return false;
            if (_size[ra] < _size[rb]) (ra, rb) = (rb, ra);
            _parent[rb] = ra;
            _size[ra] += _size[rb];
            _strong[ra] ??= _strong[rb];
            _second[ra] ??= _second[rb];
            _third[ra] ??= _third[rb];
            return true;
        }

        public Probe Start(int row)
        {
            var r = Find(row);
            return new Probe(_strong[r], _second[r], _third[r]);
        }

        public (string? Strong, string? Second, string? Third) Of(int row)
        {
            var r = Find(row);
            return (_strong[r], _second[r], _third[r]);
        }

        private static bool Differ(string? x, string? y) => x is not null && y is not null && !string.Equals(x, y, StringComparison.Ordinal);
    }

    /// <summary>What the clusters seen so far hold; <see cref="Take"/> is false once two of them cannot be one.</summary>
    private sealed class Probe(string? strong, string? second, string? third)
    {
        private string? _strong = strong;
        private string? _second = second;
        private string? _third = third;

        public bool Take(Clusters sets, int row)
        {
            var (s, t, c) = sets.Of(row);
            if (s is not null && _strong is not null && s != _strong) return false;
            if (t is not null && _second is not null && t != _second) return false;
            if (c is not null && _third is not null && c != _third) return false;
            _strong ??= s;
            _second ??= t;
            _third ??= c;
            return true;
        }
    }
}
