using Hub.Contracts;
using Hub.Domain.Intake;
using Hub.Domain.Resolution;
using Hub.Storage;

namespace Hub.Aggregator.Applying;

/// <summary>
/// Resolves subject references of one batch to hub ids, creating subjects the index does not know yet. Records in the
/// same batch about the same new subject share one id.
/// <list type="number">
/// <item>A strong identifier (USCC, organisation code, whole resident ID number) decides.</item>
/// <item>Else, for a person, the masked ID number (region, birth year and the last four characters) together with the
/// same normalised name links to the one person the index knows by them — one whose whole number masks to it, or one
/// known only by the masked number. Never a person whose whole number differs from the record's, never on the name
/// alone, and not when two people fit (then a new subject).</item>
/// <item>Else the caller's fallback (the organisation's current representative of that name), for a reference with no
/// strong key.</item>
/// </list>
/// </summary>
internal sealed class SubjectResolver(IReadOnlyList<IdentifierRow> known, IReadOnlyList<WeakCandidateRow> weak, IndexWrite write, Func<string> newId)
{
    private readonly Dictionary<(string, string), string> _byKey =
        known.ToDictionary(r => (r.Scheme, r.Value), r => r.SubjectId);
    private readonly Dictionary<string, List<Candidate>> _byMasked = Candidates(weak, SubjectKeys.MaskedScheme);
    private readonly Dictionary<string, List<Candidate>> _byNameBirth = Candidates(weak, SubjectKeys.NameBirthScheme);
    private readonly HashSet<string> _created = [];

    /// <summary>Pairs this batch found may be one subject: (known subject, new subject, score), for review.</summary>
    public List<(string Known, string New, MatchScore Score)> ReviewPairs { get; } = [];

    private static Dictionary<string, List<Candidate>> Candidates(IReadOnlyList<WeakCandidateRow> rows, string scheme) => rows.Where(w => w.Scheme == scheme)
        .GroupBy(w => w.Value)
        .ToDictionary(g => g.Key, g => g.GroupBy(c => c.SubjectId).Select(c => new Candidate(c.Key, c.First().Kind, c.First().NormalizedName)
        {
            FullNumber = c.Select(x => x.FullNumber).FirstOrDefault(f => f is not null),
            // the key came with a subject an operator merged into this one: judged the same before
            Confirmed = c.Any(x => x.CarrierId != x.SubjectId),
        }).ToList());

    public static IEnumerable<string> StrongValues(SubjectKeys? keys) =>
        keys is null ? [] : keys.Keys.Where(k => k.Strong).Select(k => k.Value);

    /// <summary>The weak keys worth a read (masked number, name with birth date): persons whose strong keys the index does
    /// not know.</summary>
    public static IEnumerable<string> WeakValues(SubjectKeys? keys, ISet<string> knownStrongValues) =>
        keys is { Kind: SubjectKind.Person } && !keys.Keys.Any(k => k.Strong && knownStrongValues.Contains(k.Value))
            ? new[] { keys.MaskedNumber, keys.NameBirth }.OfType<string>()
            : [];

    public bool IsNew(string subjectId) => _created.Contains(subjectId);

    /// <summary>The subject's id; <paramref name="fallback"/> is used for a subject with no strong key (a known representative).</summary>
    public string Resolve(SubjectKeys keys, string? fallback = null)
    {
        string? id = null;
        foreach (var k in keys.Keys)
            if (k.Strong && _byKey.TryGetValue((k.Scheme, k.Value), out id)) break;
        id ??= ByMaskedNumber(keys);
        id ??= keys.HasStrongKey ? null : fallback;
        id ??= Confirmed(keys);
        if (id is null)
        {
            id = newId();
            _created.Add(id);
            Review(keys, id);
            write.Subjects.Add(new SubjectRow
            {
                Id = id, Kind = keys.Kind.ToString(), DisplayName = keys.Name, NormalizedName = keys.NormalizedName,
                HomeRegion = keys.RegionCode, CreatedAt = write.At, UpdatedAt = write.At, CoreName = keys.CoreName,
            });
        }
        foreach (var k in keys.Keys)
        {
            if (k.Strong)
            {
                if (!_byKey.TryAdd((k.Scheme, k.Value), id)) continue; // already known (here or to another subject: merging comes later)
            }
            else if (!_created.Contains(id)) continue; // a weak key is recorded with the subject it came in with
            write.Identifiers.Add(new IdentifierRow { Scheme = k.Scheme, Value = k.Value, SubjectId = id, Strong = k.Strong, CreatedAt = write.At });
        }
        Remember(keys, id);
        return id;
    }

    private string? ByMaskedNumber(SubjectKeys keys)
    {
        if (keys.Kind != SubjectKind.Person || keys.MaskedNumber is not { } masked || !_byMasked.TryGetValue(masked, out var candidates)) return null;
        var incoming = Facts(keys);
        // the same rules as every other match (MatchScorer): a masked number and the same name link, a different whole
        // number never does
        var fitting = candidates.Where(c => c.Kind == nameof(SubjectKind.Person)
                                            && MatchScorer.Score(incoming, new PersonFacts(c.NormalizedName, c.FullNumber, masked)).Decision == MatchDecision.Link)
            .Select(c => c.SubjectId).Distinct().ToList();
        return fitting is [var only] ? only : null;
    }

    /// <summary>A person with no strong key whose name and birth date an operator has judged to be a known person's
    /// before (the key came with a subject merged into it): that person.</summary>
    private string? Confirmed(SubjectKeys keys)
    {
        if (keys.HasStrongKey || keys.NameBirth is not { } nb || !_byNameBirth.TryGetValue(nb, out var candidates)) return null;
        return candidates.Where(c => c.Confirmed).Select(c => c.SubjectId).Distinct().ToList() is [var only] ? only : null;
    }

    /// <summary>A new person who may be one the index knows by name and birth date: the pairs the rules put in the grey
    /// zone go to review; the subject stays new.</summary>
    private void Review(SubjectKeys keys, string id)
    {
        if (keys.Kind != SubjectKind.Person || keys.NameBirth is not { } nb || !_byNameBirth.TryGetValue(nb, out var candidates)) return;
        var incoming = Facts(keys);
        foreach (var c in candidates.Where(c => c.SubjectId != id && c.Kind == nameof(SubjectKind.Person)))
        {
            var score = MatchScorer.Score(incoming, new PersonFacts(c.NormalizedName, c.FullNumber, BirthDate: BirthOf(nb)));
            if (score.Decision == MatchDecision.Review) ReviewPairs.Add((c.SubjectId, id, score));
        }
    }

    private static DateOnly? BirthOf(string nameBirth) =>
        DateOnly.TryParseExact(nameBirth[(nameBirth.LastIndexOf('|') + 1)..], "yyyy-MM-dd", out var d) ? d : null;

    private static PersonFacts Facts(SubjectKeys keys) => new(keys.NormalizedName,
        keys.Keys.FirstOrDefault(k => k.Scheme == "ric" && k.Strong).Value, keys.MaskedNumber, keys.BirthDate, keys.RegionCode);

    /// <summary>A person resolved here is a candidate for the batch's later records with the same masked number; one
    /// that now has its whole number can no longer be another number's.</summary>
    private void Remember(SubjectKeys keys, string id)
    {
        if (keys.Kind != SubjectKind.Person) return;
        var full = keys.Keys.FirstOrDefault(k => k.Scheme == "ric" && k.Strong).Value;
        foreach (var (map, value) in new[] { (_byMasked, keys.MaskedNumber), (_byNameBirth, keys.NameBirth) })
        {
            if (value is null) continue;
            if (!map.TryGetValue(value, out var candidates)) map[value] = candidates = [];
            if (candidates.Find(c => c.SubjectId == id) is { } known) known.FullNumber ??= full;
            else candidates.Add(new Candidate(id, nameof(SubjectKind.Person), keys.NormalizedName) { FullNumber = full });
        }
    }

    private sealed record Candidate(string SubjectId, string Kind, string NormalizedName)
    {
        public string? FullNumber { get; set; }
        public bool Confirmed { get; init; }
    }
}
