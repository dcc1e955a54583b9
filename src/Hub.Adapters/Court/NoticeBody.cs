using System.Text;
using System.Text.Json;

namespace Hub.Adapters.Court;

/// <summary>One item of a submitted body: its position (array index from 0, or line number from 1) and its JSON.</summary>
public sealed record BodyItem(int Position, JsonElement? Json, string? Error);

/// <summary>
/// Splits a submission into items: a JSON array, a single JSON object, or JSON lines (one notice a line).
/// A line that is not JSON becomes an item with an error, so the rest of the file still goes through.
/// </summary>
public static class NoticeBody
{
    public static async Task<(IReadOnlyList<BodyItem> Items, string? Error)> ReadAsync(Stream body, bool jsonLines, CancellationToken ct)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(ct);
        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (!jsonLines && (trimmed.StartsWith('[') || trimmed.StartsWith('{')))
        {
            try
            {
                using var doc = JsonDocument.Parse(trimmed);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object) return ([new BodyItem(0, root.Clone(), null)], null);
                if (root.ValueKind != JsonValueKind.Array) return ([], "the body must be a JSON object, an array of objects, or JSON lines");
                return (root.EnumerateArray().Select((e, i) => new BodyItem(i, e.Clone(), null)).ToList(), null);
            }
            catch (JsonException ex) when (!trimmed.StartsWith('['))
            {
                // several objects on separate lines: JSON lines without the content type
                if (trimmed.Contains('\n', StringComparison.Ordinal)) return (Lines(text), null);
                return ([], $"malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {ex.Message}");
            }
            catch (JsonException ex)
            {
                return ([], $"malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {ex.Message}");
            }
        }
        return (Lines(text), null);
    }

    private static List<BodyItem> Lines(string text)
    {
        var items = new List<BodyItem>();
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim().TrimStart('\uFEFF');
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                items.Add(doc.RootElement.ValueKind == JsonValueKind.Object
                    ? new BodyItem(lineNo, doc.RootElement.Clone(), null)
                    : new BodyItem(lineNo, null, "line is not a JSON object"));
            }
            catch (JsonException ex)
            {
                items.Add(new BodyItem(lineNo, null, $"malformed JSON at byte {ex.BytePositionInLine + 1}: {ex.Message}"));
            }
        }
        return items;
    }
}
