using Hub.Storage;

namespace Hub.Aggregator.Applying;

/// <summary>
/// Current legal representatives of the organisations in a batch. A representative known only by name is taken to be
/// the organisation's current representative of the same normalised name, so repeated notices do not multiply persons.
/// </summary>
internal sealed class RepresentativeBook(IReadOnlyList<RepresentativeRow> current)
{
    private readonly Dictionary<string, (string PersonId, string Name)> _byOrganization =
        current.GroupBy(r => r.OrganizationId).ToDictionary(g => g.Key, g => (g.First().PersonId, g.First().NormalizedName));
    /// <summary>Organisations whose stored open relation is still open (nothing in this batch replaced it yet).</summary>
    private readonly HashSet<string> _storedOpen = current.Select(r => r.OrganizationId).ToHashSet();
    /// <summary>The open relation this batch added, per organisation.</summary>
    private readonly Dictionary<string, RelationRow> _added = [];

    public string? Find(string organizationId, string normalizedName) =>
        _byOrganization.TryGetValue(organizationId, out var r) && r.Name == normalizedName ? r.PersonId : null;

    /// <summary>Records the relation when it is new; a different person replaces the current one, whose relation ends
    /// where the new one begins — a stored one with an update, one added earlier in this batch in place.</summary>
    public void Link(IndexWrite w, string organizationId, string personId, string normalizedName, string agency, string sourceRecordId, DateOnly from)
    {
        if (_byOrganization.TryGetValue(organizationId, out var r) && r.PersonId == personId) return;
        _byOrganization[organizationId] = (personId, normalizedName);
        if (_added.TryGetValue(organizationId, out var earlier)) earlier.ValidTo = from;
        else if (_storedOpen.Remove(organizationId)) w.RelationEnds.Add(new RelationEnd(organizationId, RecordApplier.LegalRepresentativeRole, from));
        var relation = new RelationRow
        {
            Id = RecordApplier.NewId(w.At), OrganizationId = organizationId, PersonId = personId,
            Role = RecordApplier.LegalRepresentativeRole, ValidFrom = from, AgencyCode = agency, SourceRecordId = sourceRecordId, RecordedAt = w.At,
        };
        _added[organizationId] = relation;
        w.Relations.Add(relation);
    }
}
