using Hub.Contracts;
using Hub.Domain.Identifiers;
using Hub.Domain.Intake;
using Hub.Storage;

namespace Hub.Aggregator.Applying;

/// <summary>
/// The legal representatives of the organisations in a batch, current and former, as stored and as the batch changes
/// them. A representative known only by name is taken to be the organisation's current representative of the same
/// normalised name, so repeated notices do not multiply persons; a record that names none is imputed to the one the
/// index knows for its decision date.
/// </summary>
internal sealed class RepresentativeBook
{
    private readonly Dictionary<string, (string PersonId, string Name)> _current;
    /// <summary>Every relation per organisation: stored (ended where this batch replaced them) and added.</summary>
    private readonly Dictionary<string, List<Relation>> _relations;
    /// <summary>Organisations whose stored open relation is still open (nothing in this batch replaced it yet).</summary>
    private readonly HashSet<string> _storedOpen;
    /// <summary>The open relation this batch added, per organisation.</summary>
    private readonly Dictionary<string, RelationRow> _added = [];
    private readonly Dictionary<string, SubjectKeys> _people = [];

    public RepresentativeBook(IReadOnlyList<RepresentativeRow> stored)
    {
        var open = stored.Where(r => r.ValidTo is null).ToList();
        _current = open.GroupBy(r => r.OrganizationId).ToDictionary(g => g.Key, g => (g.First().PersonId, g.First().NormalizedName));
        _storedOpen = open.Select(r => r.OrganizationId).ToHashSet();
        _relations = stored.GroupBy(r => r.OrganizationId)
            .ToDictionary(g => g.Key, g => g.Select(r => new Relation(r.PersonId, r.ValidFrom) { ValidTo = r.ValidTo }).ToList());
        foreach (var r in stored)
            _people.TryAdd(r.PersonId, new SubjectKeys(SubjectKind.Person, r.DisplayName, r.NormalizedName,
                r.FullNumber is { } n ? [new Hub.Domain.Intake.SubjectKey("ric", n, true), new Hub.Domain.Intake.SubjectKey(SubjectKeys.MaskedScheme, ResidentIdNumber.MaskNumber(n), false)] : [],
                null, null));
    }

    public string? Find(string organizationId, string normalizedName) =>
        _current.TryGetValue(organizationId, out var r) && r.Name == normalizedName ? r.PersonId : null;

    /// <summary>The organisation's current representative as stored and as this batch changed it; null when the book
    /// does not know one (an organisation of another batch, or none recorded).</summary>
    public (string PersonId, SubjectKeys Keys)? Current(string organizationId) =>
        _current.TryGetValue(organizationId, out var r) && _people.TryGetValue(r.PersonId, out var keys) ? (r.PersonId, keys) : null;

    /// <summary>The representative the index knows for <paramref name="day"/> (its relation began by then and had not
    /// ended), with what the events about them show; null when it knows none.</summary>
    public (string PersonId, SubjectKeys Keys)? On(string organizationId, DateOnly day)
    {
        if (!_relations.TryGetValue(organizationId, out var relations)) return null;
        var r = relations.Where(x => x.ValidFrom <= day && (x.ValidTo is null || day < x.ValidTo)).MaxBy(x => x.ValidFrom);
        return r is not null && _people.TryGetValue(r.PersonId, out var keys) ? (r.PersonId, keys) : null;
    }

    /// <summary>Records the relation when it is new; a different person replaces the current one, whose relation ends
    /// where the new one begins — a stored one with an update, one added earlier in this batch in place.</summary>
    public void Link(IndexWrite w, string organizationId, string personId, SubjectKeys person, string agency, string sourceRecordId, DateOnly from)
    {
        _people.TryAdd(personId, person);
        if (_current.TryGetValue(organizationId, out var r) && r.PersonId == personId) return;
        _current[organizationId] = (personId, person.NormalizedName);
        if (!_relations.TryGetValue(organizationId, out var relations)) _relations[organizationId] = relations = [];
        foreach (var open in relations.Where(x => x.ValidTo is null)) open.ValidTo = from;
        if (_added.TryGetValue(organizationId, out var earlier)) earlier.ValidTo = from;
        else if (_storedOpen.Remove(organizationId)) w.RelationEnds.Add(new RelationEnd(organizationId, RecordApplier.LegalRepresentativeRole, from));
        var relation = new RelationRow
        {
            Id = RecordApplier.NewId(w.At), OrganizationId = organizationId, PersonId = personId,
            Role = RecordApplier.LegalRepresentativeRole, ValidFrom = from, AgencyCode = agency, SourceRecordId = sourceRecordId, RecordedAt = w.At,
        };
        _added[organizationId] = relation;
        relations.Add(new Relation(personId, from));
        w.Relations.Add(relation);
    }

    private sealed record Relation(string PersonId, DateOnly ValidFrom)
    {
        public DateOnly? ValidTo { get; set; }
    }
}
