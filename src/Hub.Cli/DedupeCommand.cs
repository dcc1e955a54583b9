using System.Globalization;
using System.Text;
using Hub.Contracts;
using Hub.Domain.Resolution;

namespace Hub.Cli;

/// <summary>
/// <c>hub dedupe FILE.csv --id COL --name COL [--birth-date COL] [--region COL] [--address COL] [--phone COL] [--id-number COL]
/// [--representative COL [--representative-id COL]] --kind person|organization [--review FILE]</c>: prints <c>row_id,cluster_id</c> for every row, in input order, with
/// the aggregator's matching rules (<see cref="Deduplicator"/>). Rows with problems are reported on standard error (ID
/// numbers masked) and still clustered with what is left of them. Exit codes: 0 every row clustered; 1 the file
/// refused (a column missing, unreadable, row ids missing or repeated); 2 usage or no such file.
/// </summary>
public static class DedupeCommand
{
    private static readonly string[] Known = ["id", "name", "birth-date", "region", "address", "phone", "id-number", "representative", "representative-id", "kind", "review"];

    public static async Task<int> RunAsync(string file, Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (o.Keys.Except(Known).FirstOrDefault() is { } unknown) throw new ArgumentException($"unexpected '--{unknown}'");
        var idColumn = o.GetValueOrDefault("id") ?? throw new ArgumentException("dedupe needs --id COLUMN (the row id)");
        var nameColumn = o.GetValueOrDefault("name") ?? throw new ArgumentException("dedupe needs --name COLUMN");
        var kind = o.GetValueOrDefault("kind") switch
        {
            "person" => SubjectKind.Person,
            "organization" or "organisation" => SubjectKind.Organization,
            null => throw new ArgumentException("dedupe needs --kind person|organization"),
            var k => throw new ArgumentException($"--kind is person or organization, not '{k}'"),
        };
        if (kind == SubjectKind.Person && (o.ContainsKey("representative") || o.ContainsKey("representative-id")))
            throw new ArgumentException("--representative and --representative-id are an organisation's legal representative: --kind organization");
        if (o.ContainsKey("representative-id") && !o.ContainsKey("representative"))
            throw new ArgumentException("--representative-id needs --representative COLUMN (the representative's name)");
        if (!File.Exists(file)) { await stderr.WriteLineAsync($"hub: no file {file}"); return 2; }

        var err = new Buffered(stderr);
        try
        {
            return await DedupeAsync(file, o, idColumn, nameColumn, kind, stdout, err, ct);
        }
        catch (CsvFileException ex)
        {
            err.Line($"hub: {file}: {ex.Message}");
            return 1;
        }
        catch (IOException ex)
        {
            err.Line($"hub: {file}: cannot be read: {ex.Message}");
            return 1;
        }
        finally
        {
            await err.FlushAsync();
        }
    }

    private static async Task<int> DedupeAsync(string file, Dictionary<string, string?> o, string idColumn, string nameColumn, SubjectKind kind,
        TextWriter stdout, Buffered err, CancellationToken ct)
    {
        var encoding = CsvFile.Detect(file, out var suspect);
        if (suspect is { } offset)
            err.Line($"hub: {file}: read as GB18030: its bytes are UTF-8 up to byte {offset + 1:N0} and not after; if names come out garbled, " +
                     "the file is damaged UTF-8");
        using var reader = new StreamReader(file, encoding, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        using var records = CsvFile.Read(reader).GetEnumerator();
        if (!records.MoveNext()) { err.Line($"hub: {file}: empty: the first line must name the columns"); return 1; }
        var header = records.Current.Fields.Select(f => f.Trim()).ToArray();

        // the columns, by the options that name them
        var named = new (string Option, string? Column, DedupeField? Field)[]
        {
            ("id", idColumn, null), ("name", nameColumn, DedupeField.Name), ("birth-date", o.GetValueOrDefault("birth-date"), DedupeField.BirthDate),
            ("region", o.GetValueOrDefault("region"), DedupeField.Region), ("address", o.GetValueOrDefault("address"), DedupeField.Address),
            ("phone", o.GetValueOrDefault("phone"), DedupeField.Phone), ("id-number", o.GetValueOrDefault("id-number"), DedupeField.IdNumber),
            ("representative", o.GetValueOrDefault("representative"), DedupeField.Representative),
            ("representative-id", o.GetValueOrDefault("representative-id"), DedupeField.RepresentativeId),
        };
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (option, column, _) in named)
        {
            if (column is null) continue;
            var at = Array.FindAll(Enumerable.Range(0, header.Length).ToArray(), i => header[i] == column.Trim());
            if (at.Length == 0)
            {
                err.Line($"hub: {file}: no column '{column}' (--{option}); the header names {string.Join(", ", header.Select(h => $"'{h}'"))}");
                return 1;
            }
            if (at.Length > 1) { err.Line($"hub: {file}: the header names column '{column}' (--{option}) {at.Length} times"); return 1; }
            index[option] = at[0];
        }
        var columnOf = named.Where(n => n.Field is not null).ToDictionary(n => n.Field!.Value, n => n.Column!);

        var dedupe = new Deduplicator(kind);
        var rowIds = new List<string>();
        var lineOf = new List<int>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var badRows = 0;
        while (records.MoveNext())
        {
            ct.ThrowIfCancellationRequested();
            var (line, fields, problem) = records.Current;
            string? Field(string option) => index.TryGetValue(option, out var i) && i < fields.Length ? fields[i] : null;
            var id = Field("id")?.Trim();
            if (string.IsNullOrEmpty(id))
            {
                err.Line($"hub: {file}: line {line}, column '{idColumn}': no row id{(problem is null ? "" : $" ({problem})")}");
                return 1;
            }
            if (!seen.TryAdd(id, line))
            {
                err.Line($"hub: {file}: line {line}, column '{idColumn}': row id '{Safe(id)}' is already on line {seen[id]}: row ids must be unique");
                return 1;
            }
            rowIds.Add(id);
            lineOf.Add(line);
            problem ??= fields.Length == header.Length ? null : $"{fields.Length} fields where the header has {header.Length}";
            if (problem is not null)
            {
                err.Line($"{file}: line {line} (row {Safe(id)}): {problem}: the row is kept apart, in a cluster of its own");
                dedupe.AddUnmatched();
                badRows++;
                continue;
            }
            var found = dedupe.Add(new DedupeRow(Field("name") ?? "", Field("id-number"), Field("birth-date"), Field("region"), Field("address"), Field("phone"),
                Field("representative"), Field("representative-id")));
            foreach (var p in found)
                err.Line($"{file}: line {line} (row {Safe(id)}), column '{columnOf[p.Field]}': {p.Message}");
            if (found.Count > 0) badRows++;
        }

        var result = dedupe.Cluster();
        foreach (var note in result.Notes) err.Line($"hub: {note}");
        var output = new StringBuilder(1 << 16);
        output.Append("row_id,cluster_id\n");
        for (var r = 0; r < rowIds.Count; r++)
        {
            output.Append(CsvFile.Quote(rowIds[r])).Append(',').Append(CsvFile.Quote(rowIds[result.ClusterOf[r]])).Append('\n');
            if (output.Length > 1 << 16) await Flush();
        }
        await Flush();
        if (o.GetValueOrDefault("review") is { } reviewFile) await WriteReviewsAsync(reviewFile, result, rowIds, ct);
        err.Line($"hub: {rowIds.Count:N0} rows, {result.Clusters:N0} clusters, {result.Reviews.Count:N0} pairs for review" +
                 $"{(badRows > 0 ? $", {badRows:N0} row{(badRows == 1 ? "" : "s")} with problems (above)" : "")}");
        return 0;

        async Task Flush()
        {
            await stdout.WriteAsync(output.ToString());
            output.Clear();
        }
    }

    /// <summary>The grey pairs: <c>cluster_a,cluster_b,row_a,row_b,score,evidence</c>, the evidence as
    /// <c>feature weight detail</c> joined by "; ".</summary>
    private static async Task WriteReviewsAsync(string path, DedupeResult result, List<string> rowIds, CancellationToken ct)
    {
        await using var w = new StreamWriter(path, append: false, new UTF8Encoding(false));
        await w.WriteAsync("cluster_a,cluster_b,row_a,row_b,score,evidence\n");
        foreach (var r in result.Reviews)
        {
            var evidence = string.Join("; ", r.Score.Evidence.Select(e => $"{e.Feature} {e.Weight.ToString("+0.00;-0.00;0", CultureInfo.InvariantCulture)} {e.Detail}"));
            await w.WriteAsync(string.Join(',', CsvFile.Quote(rowIds[result.ClusterOf[r.RowA]]), CsvFile.Quote(rowIds[result.ClusterOf[r.RowB]]),
                CsvFile.Quote(rowIds[r.RowA]), CsvFile.Quote(rowIds[r.RowB]), r.Score.Score.ToString("0.00", CultureInfo.InvariantCulture),
                CsvFile.Quote(evidence)) + "\n");
        }
        await w.FlushAsync(ct);
    }

    /// <summary>A row id as a message may show it: an id that could be an ID number is masked.</summary>
    private static string Safe(string id) => Hub.Domain.Identifiers.ResidentIdNumber.MaskAllIn(id);

    /// <summary>Standard error in blocks (a file with many bad rows writes many lines).</summary>
    private sealed class Buffered(TextWriter inner)
    {
        private readonly StringBuilder _text = new();

        public void Line(string line)
        {
            _text.Append(line).Append('\n');
            if (_text.Length > 1 << 15) Flush();
        }

        private void Flush()
        {
            inner.Write(_text.ToString());
            _text.Clear();
        }

        public async Task FlushAsync()
        {
            await inner.WriteAsync(_text.ToString());
            _text.Clear();
        }
    }
}
