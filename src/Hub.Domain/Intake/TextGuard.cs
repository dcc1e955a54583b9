using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;

namespace Hub.Domain.Intake;

/// <summary>
/// Finds text the index cannot store: PostgreSQL refuses U+0000 in text, and an unpaired UTF-16 surrogate is not
/// text at all. One such character in one record would fail every statement that carries it — the whole batch, again
/// on every retry — so the aggregator quarantines the record before it reads or writes anything with its values.
/// </summary>
public static class TextGuard
{
    private static readonly ConcurrentDictionary<Type, (PropertyInfo Property, string Name)[]> Properties = new();

    /// <summary>The first string in the record (nested contract types included) with such a character, as a rejection
    /// naming the field and the position — never the value; null when every string is storable.</summary>
    public static Rejection? Find(object record) => Find(record, "", 0);

    /// <summary>The value with NUL and unpaired surrogates replaced by U+FFFD, for columns that keep a refused record's keys.</summary>
    public static string? Storable(string? value) => value is null || Position(value) < 0 ? value : Replace(value);

    private static Rejection? Find(object record, string path, int depth)
    {
        if (depth > 4) return null;
        foreach (var (property, name) in Properties.GetOrAdd(record.GetType(), Readable))
        {
            var value = property.GetValue(record);
            var field = path.Length == 0 ? name : path + "." + name;
            if (value is string s)
            {
                var at = Position(s);
                if (at >= 0)
                    return new Rejection(Rejection.InvalidText,
                        $"{field} holds {(s[at] == '\0' ? "a NUL character (U+0000)" : "an unpaired surrogate")} at position {at + 1}, which cannot be stored");
            }
            else if (value is not null && IsContract(value.GetType()) && Find(value, field, depth + 1) is { } nested) return nested;
        }
        return null;
    }

    private static int Position(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\0') return i;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return i;
        }
        return -1;
    }

    private static string Replace(string s)
    {
        var chars = s.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
            if (chars[i] == '\0' || char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    private static (PropertyInfo, string)[] Readable(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && (p.PropertyType == typeof(string) || IsContract(p.PropertyType)))
            .Select(p => (p, JsonNamingPolicy.CamelCase.ConvertName(p.Name)))];

    private static bool IsContract(Type type) => type.IsClass && type != typeof(string) && type.Namespace == "Hub.Contracts";
}
