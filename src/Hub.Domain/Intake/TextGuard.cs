using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;

namespace Hub.Domain.Intake;

/// <summary>
/// Finds text the index cannot store: PostgreSQL refuses U+0000 in text, an unpaired UTF-16 surrogate is not text at
/// all, and a key longer than an index entry may be (about 2,700 bytes) cannot be indexed. One such value in one
/// record would fail every statement that carries it — the whole batch, again on every retry — so the aggregator
/// quarantines the record before it reads or writes anything with its values.
/// </summary>
public static class TextGuard
{
    /// <summary>Longest value the index accepts in its key fields (characters); longer keys are export errors.</summary>
    public const int MaxKeyLength = 200;

    private static readonly HashSet<string> KeyFields = ["source.agencyCode", "source.sourceRecordId", "legalBasis", "listingSourceRecordId", "disputeSourceRecordId"];
    private static readonly ConcurrentDictionary<Type, (PropertyInfo Property, string Name)[]> Properties = new();

    /// <summary>The first string in the record (nested contract types included) with such a character, as a rejection
    /// naming the field and the position — never the value; null when every string is storable.</summary>
    public static Rejection? Find(object record) => Find(record, "", 0);

    /// <summary>The value with NUL and unpaired surrogates replaced by U+FFFD and cut to <see cref="MaxKeyLength"/>,
    /// for the columns that keep a refused record's keys.</summary>
    public static string? Storable(string? value)
    {
        if (value is null) return null;
        var at = Position(value, 0);
        if (at >= 0)
        {
            var chars = value.ToCharArray();
            for (; at >= 0; at = Position(value, at + 1)) chars[at] = '\uFFFD';
            value = new string(chars);
        }
        return value.Length <= MaxKeyLength ? value : value[..(MaxKeyLength - 1)] + "…";
    }

    private static Rejection? Find(object record, string path, int depth)
    {
        if (depth > 4) return null;
        foreach (var (property, name) in Properties.GetOrAdd(record.GetType(), Readable))
        {
            var value = property.GetValue(record);
            if (value is string s)
            {
                var at = Position(s, 0);
                if (at >= 0)
                    return new Rejection(Rejection.InvalidText,
                        $"{Field(path, name)} holds {(s[at] == '\0' ? "a NUL character (U+0000)" : "an unpaired surrogate")} at position {at + 1}, which cannot be stored");
                if (s.Length > MaxKeyLength && KeyFields.Contains(Field(path, name)))
                    return new Rejection(Rejection.InvalidText, $"{Field(path, name)} is {s.Length:N0} characters long; a key may have at most {MaxKeyLength}");
            }
            else if (value is not null && IsContract(value.GetType()) && Find(value, Field(path, name), depth + 1) is { } nested) return nested;
        }
        return null;
    }

    private static string Field(string path, string name) => path.Length == 0 ? name : path + "." + name;

    /// <summary>Index of the first NUL or unpaired surrogate at or after <paramref name="from"/>; -1 when there is none.</summary>
    private static int Position(string s, int from)
    {
        for (var i = from; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\0') return i;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return i;
        }
        return -1;
    }

    private static (PropertyInfo, string)[] Readable(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && (p.PropertyType == typeof(string) || IsContract(p.PropertyType)))
            .Select(p => (p, JsonNamingPolicy.CamelCase.ConvertName(p.Name)))];

    private static bool IsContract(Type type) => type.IsClass && type != typeof(string) && type.Namespace == "Hub.Contracts";
}
