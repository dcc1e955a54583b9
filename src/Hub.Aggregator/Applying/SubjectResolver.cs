using Hub.Domain.Intake;
using Hub.Storage;

namespace Hub.Aggregator.Applying;

/// <summary>
/// Resolves subject references of one batch to hub ids by strong identifier, creating subjects the index does not
/// know yet. Records in the same batch about the same new subject share one id. Weak keys never link on their own.
/// </summary>
internal sealed class SubjectResolver(IReadOnlyList<IdentifierRow> known, IndexWrite write, Func<string> newId)
{
    private readonly Dictionary<(string, string), string> _byKey =
        known.ToDictionary(r => (r.Scheme, r.Value), r => r.SubjectId);
    private readonly HashSet<string> _created = [];

    public static IEnumerable<string> StrongValues(SubjectKeys? keys) =>
        keys is null ? [] : keys.Keys.Where(k => k.Strong).Select(k => k.Value);

    public bool IsNew(string subjectId) => _created.Contains(subjectId);

    /// <summary>The subject's id; <paramref name="fallback"/> is used for a subject with no strong key (a known representative).</summary>
    public string Resolve(SubjectKeys keys, string? fallback = null)
    {
        string? id = null;
        foreach (var k in keys.Keys)
            if (k.Strong && _byKey.TryGetValue((k.Scheme, k.Value), out id)) break;
        id ??= keys.HasStrongKey ? null : fallback;
        if (id is null)
        {
            id = newId();
            _created.Add(id);
            write.Subjects.Add(new SubjectRow
            {
                Id = id, Kind = keys.Kind.ToString(), DisplayName = keys.Name, NormalizedName = keys.NormalizedName,
                HomeRegion = keys.RegionCode, CreatedAt = write.At, UpdatedAt = write.At,
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
        return id;
    }
}
