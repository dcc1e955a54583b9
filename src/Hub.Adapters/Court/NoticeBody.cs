using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Hub.Adapters.Court;

/// <summary>One item of a submitted body: its position (the n-th notice of an array from 1, or the line number of JSON
/// lines), its JSON, or why it could not be read.</summary>
public sealed record BodyItem(int Position, JsonElement? Json, string? Error)
{
    /// <summary>The notice's own <c>id</c>, as far as it could be read (also for a notice that is refused).</summary>
    public string? SourceRecordId => Json is { ValueKind: JsonValueKind.Object } j && j.TryGetProperty("id", out var id)
        ? id.ValueKind switch
        {
            JsonValueKind.String => id.GetString() is { Length: > 0 and <= 200 } s ? s : null,
            JsonValueKind.Number => id.GetRawText(),
            _ => null,
        }
        : null;
}

/// <summary>Why a body as a whole cannot be read: it is not JSON the adapter reads (415), or it is broken (400).</summary>
public enum BodyProblem
{
    None,
    Unreadable,
    UnsupportedMediaType,
}

public sealed record BodyRead(IReadOnlyList<BodyItem> Items, string? Error, BodyProblem Problem)
{
    public static BodyRead Fail(BodyProblem problem, string error) => new([], error, problem);
}

/// <summary>
/// Splits a submission into items: a JSON array, a single JSON object, or JSON lines (one notice a line). A line that
/// is not JSON becomes an item with an error, so the rest of the file still goes through. The body is decoded in the
/// charset its Content-Type declares — UTF-8 when none is declared; GB18030 and GBK, in which Chinese agencies commonly
/// export, when declared — and a body that is not what it claims to be is refused rather than garbled.
/// </summary>
public static class NoticeBody
{
    public const string JsonMedia = "application/json";
    public const string JsonLinesMedia = "application/x-ndjson";

    private static readonly string[] JsonLinesMediaTypes = [JsonLinesMedia, "application/jsonl", "application/x-jsonlines", "application/jsonlines"];

    static NoticeBody() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static async Task<BodyRead> ReadAsync(Stream body, string? contentType, CancellationToken ct)
    {
        var (media, charset) = (JsonMedia, (string?)null);
        if (!string.IsNullOrWhiteSpace(contentType))
        {
            if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is null)
                return BodyRead.Fail(BodyProblem.UnsupportedMediaType, $"Content-Type '{contentType}' cannot be read");
            (media, charset) = (parsed.MediaType.ToLowerInvariant(), parsed.CharSet?.Trim('"', ' '));
        }
        var jsonLines = JsonLinesMediaTypes.Contains(media);
        if (!jsonLines && media is not (JsonMedia or "text/json") && !media.EndsWith("+json", StringComparison.Ordinal))
            return BodyRead.Fail(BodyProblem.UnsupportedMediaType,
                $"the court adapter reads JSON ({JsonMedia}) or JSON lines ({JsonLinesMedia}), not {media}");

        var (encoding, problem) = EncodingOf(charset);
        if (encoding is null) return BodyRead.Fail(BodyProblem.UnsupportedMediaType, problem!);
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, ct);
        string text;
        try
        {
            text = encoding.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException ex)
        {
            return charset is null
                ? BodyRead.Fail(BodyProblem.UnsupportedMediaType,
                    $"the body is not UTF-8 (byte {ex.Index + 1} is not): declare its charset, e.g. Content-Type: {media}; charset=gb18030")
                : BodyRead.Fail(BodyProblem.Unreadable, $"the body is not valid {charset} (at byte {ex.Index + 1})");
        }
        return Split(text, jsonLines);
    }

    /// <summary>The decoder for a declared charset, throwing on bytes it cannot read (never '?' or U+FFFD in a name).</summary>
    private static (Encoding? Encoding, string? Problem) EncodingOf(string? charset)
    {
        // only these: a single-byte charset (latin-1, windows-1252) decodes any bytes without complaint and would store
        // a mis-declared GBK body as nonsense instead of refusing it
        return charset?.ToLowerInvariant() switch
        {
            null or "" or "utf-8" or "utf8" => (new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), null),
            // GB18030 reads everything GBK and GB2312 encode
            "gbk" or "gb2312" or "cp936" or "x-gbk" or "gb18030" =>
                (Encoding.GetEncoding("gb18030", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback), null),
            _ => (null, $"charset '{charset}' is not one the court adapter reads: send UTF-8, GB18030 or GBK"),
        };
    }

    private static BodyRead Split(string text, bool jsonLines)
    {
        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (!jsonLines && (trimmed.StartsWith('[') || trimmed.StartsWith('{')))
        {
            try
            {
                using var doc = JsonDocument.Parse(trimmed);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object) return new BodyRead([new BodyItem(1, root.Clone(), null)], null, BodyProblem.None);
                if (root.ValueKind != JsonValueKind.Array)
                    return BodyRead.Fail(BodyProblem.Unreadable, "the body must be a JSON object, an array of objects, or JSON lines");
                return new BodyRead(root.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.Object
                    ? new BodyItem(i + 1, e.Clone(), null)
                    : new BodyItem(i + 1, null, $"item {i + 1} is a JSON {Kind(e.ValueKind)}, not an object with the court's fields")).ToList(), null, BodyProblem.None);
            }
            catch (JsonException) when (!trimmed.StartsWith('[') && FirstLineIsAnObject(trimmed))
            {
                // several objects on separate lines: JSON lines without the content type (a broken object printed over
                // several lines is not that: its first line is no object on its own, and it is answered as unreadable)
                return new BodyRead(Lines(text), null, BodyProblem.None);
            }
            catch (JsonException ex)
            {
                return BodyRead.Fail(BodyProblem.Unreadable, $"malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {Describe(ex)}");
            }
        }
        return new BodyRead(Lines(text), null, BodyProblem.None);
    }

    private static bool FirstLineIsAnObject(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        if (end < 0) return false;
        try
        {
            using var first = JsonDocument.Parse(text[..end]);
            return first.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
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
                    : new BodyItem(lineNo, null, $"line {lineNo} is a JSON {Kind(doc.RootElement.ValueKind)}, not an object with the court's fields"));
            }
            catch (JsonException ex)
            {
                items.Add(new BodyItem(lineNo, null, $"malformed JSON at byte {ex.BytePositionInLine + 1}: {Describe(ex)}"));
            }
        }
        return items;
    }

    /// <summary>The parser's sentence without the position it appends (the caller states the position once, from 1).</summary>
    internal static string Describe(JsonException ex)
    {
        var message = ex.Message;
        foreach (var marker in new[] { " Path: ", " LineNumber: " })
        {
            var at = message.IndexOf(marker, StringComparison.Ordinal);
            if (at > 0) message = message[..at];
        }
        return message.TrimEnd(' ', '|', '.');
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };
}
