using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Hub.Cli;

/// <summary>One record of a CSV file: the line it starts on (from 1, the header being line 1), its fields, and what is
/// wrong with it, if anything (then its fields may be shifted).</summary>
public sealed record CsvRecord(int Line, string[] Fields, string? Problem);

/// <summary>The file cannot be read as CSV at all (an encoding it is not in, a quote never closed).</summary>
public sealed class CsvFileException(string message) : Exception(message);

/// <summary>
/// Reads RFC 4180 CSV: fields separated by commas, records by CRLF or LF, fields in double quotes may hold commas, line
/// breaks and doubled quotes. The encoding is told from the bytes: a UTF-8 byte-order mark, or bytes that are valid
/// UTF-8, are UTF-8; anything else is GB18030 (which reads GBK and GB2312 too), and bytes that are not GB18030 either
/// make the file unreadable rather than garbled.
/// </summary>
public static class CsvFile
{
    static CsvFile() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static Encoding Gb18030 => Encoding.GetEncoding("gb18030", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>UTF-8 or GB18030, from the bytes (one pass over the file). <paramref name="suspect"/> is set when the
    /// bytes stop being UTF-8 only after UTF-8 characters beyond ASCII (the byte offset): more likely damaged UTF-8 than
    /// GB18030, whose Chinese text is not UTF-8 from its first character.</summary>
    public static Encoding Detect(string path, out long? suspect)
    {
        suspect = null;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> head = stackalloc byte[3];
        var got = stream.ReadAtLeast(head, 3, throwOnEndOfStream: false);
        if (got >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF) return StrictUtf8;
        if (got >= 2 && (head[0], head[1]) is (0xFF, 0xFE) or (0xFE, 0xFF))
            throw new CsvFileException("the file is UTF-16: save it as UTF-8 or GB18030");
        stream.Position = 0;
        var bytes = new byte[1 << 16];
        var chars = new char[1 << 16];
        var (carry, offset, beyondAscii) = (0, 0L, false);
        while (true)
        {
            var read = stream.Read(bytes, carry, bytes.Length - carry);
            var final = read == 0;
            var span = bytes.AsSpan(0, carry + read);
            var status = Utf8.ToUtf16(span, chars, out var consumed, out var written, replaceInvalidSequences: false, isFinalBlock: final);
            beyondAscii |= chars.AsSpan(0, written).ContainsAnyExceptInRange('\0', '\x7F');
            offset += consumed;
            if (status == OperationStatus.InvalidData)
            {
                if (beyondAscii) suspect = offset;
                return Gb18030;
            }
            if (final) return StrictUtf8;
            carry = span.Length - consumed; // the start of a character cut by the end of the block
            span[consumed..].CopyTo(bytes);
        }
    }

    /// <summary>The records of the file, the header first. Throws <see cref="CsvFileException"/> when the rest of the
    /// file cannot be read.</summary>
    public static IEnumerable<CsvRecord> Read(TextReader reader)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var start = 1;
        string? problem = null;
        var atFieldStart = true;
        var first = true;
        while (true)
        {
            int c;
            try { c = reader.Read(); }
            catch (DecoderFallbackException) { throw new CsvFileException($"line {line}: the bytes are neither UTF-8 nor GB18030"); }
            if (first && c == '\uFEFF') { first = false; continue; }
            first = false;
            if (c == -1)
            {
                if (fields.Count > 0 || field.Length > 0 || !atFieldStart) yield return End();
                yield break;
            }
            if (atFieldStart && c == '"')
            {
                atFieldStart = false;
                var opened = line;
                while (true)
                {
                    int q;
                    try { q = reader.Read(); }
                    catch (DecoderFallbackException) { throw new CsvFileException($"line {line}: the bytes are neither UTF-8 nor GB18030"); }
                    if (q == -1) throw new CsvFileException($"line {opened}: a quoted field is never closed");
                    if (q == '"')
                    {
                        if (reader.Peek() == '"') { reader.Read(); field.Append('"'); continue; }
                        break;
                    }
                    if (q == '\n') line++;
                    field.Append((char)q);
                }
                var next = reader.Peek();
                if (next is not (-1 or ',' or '\r' or '\n'))
                    problem ??= $"field {fields.Count + 1} has text after its closing quote (a quote inside a quoted field is written \"\")";
                continue;
            }
            switch (c)
            {
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    atFieldStart = true;
                    continue;
                case '\r' when reader.Peek() == '\n':
                    continue;
                case '\r' or '\n':
                    var record = End();
                    line++;
                    start = line;
                    if (!(record.Fields is [""] && record.Problem is null)) yield return record; // an empty line is no record
                    continue;
                default:
                    atFieldStart = false;
                    field.Append((char)c);
                    continue;
            }
        }

        CsvRecord End()
        {
            fields.Add(field.ToString());
            field.Clear();
            var r = new CsvRecord(start, [.. fields], problem);
            fields.Clear();
            problem = null;
            atFieldStart = true;
            return r;
        }
    }

    /// <summary>A field as CSV writes it: quoted when it holds a comma, quote or line break.</summary>
    public static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
