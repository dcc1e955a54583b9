using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hub.Cli;
using Hub.Domain.Identifiers;

// Labelled lists of Chinese persons and organisations with realistic noise (LabelledSet), run through `hub dedupe` in
// process (CSV, encoding detection and all), scored against the truth: pairwise precision, recall and F1 of the
// automatic links, what a perfect operator would add from the review queue, and why the missed pairs were missed.
//   dotnet run -c Release --project bench/Hub.DedupeQuality -- [--persons N] [--organizations N] [--seed S] [--missing 0.10]
//       [--out DIR] [--no-run]
// --missing is the share of rows that carry no ID number at all (other faults come on top: see LabelledSet).
// --no-run only writes the files (persons.csv in GB18030, organizations.csv in UTF-8), e.g. for timing `hub dedupe` alone.

namespace Hub.DedupeQuality;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var persons = Arg(args, "--persons", 20_000);
        var organizations = Arg(args, "--organizations", 20_000);
        var seed = Arg(args, "--seed", 11);
        var missing = double.Parse(Text(args, "--missing") ?? "0.10", CultureInfo.InvariantCulture);
        var dir = Text(args, "--out") ?? Directory.CreateTempSubdirectory("hub-dedupe-quality-").FullName;
        Directory.CreateDirectory(dir);
        var run = !args.Contains("--no-run");
        var set = new LabelledSet(new Random(seed), missing);
        Console.WriteLine($"labelled set, seed {seed}, {missing:P0} of rows without an ID number: {persons:N0} persons and {organizations:N0} organisations; files in {dir}");
        var ok = true;
        if (persons > 0) ok &= await KindAsync("person", set.Persons(persons), Path.Combine(dir, "persons.csv"), CsvFile.Gb18030, run);
        if (organizations > 0) ok &= await KindAsync("organization", set.Organizations(organizations), Path.Combine(dir, "organizations.csv"), new UTF8Encoding(false), run);
        return ok ? 0 : 1;
    }

    private static async Task<bool> KindAsync(string kind, List<LabelledRow> rows, string file, Encoding encoding, bool run)
    {
        await using (var w = new StreamWriter(file, false, encoding))
        {
            await w.WriteAsync("row_id,name,id_number,birth_date,region,address,phone,representative,representative_id,entity,id_form,name_form,representative_form\n");
            foreach (var r in rows)
                await w.WriteAsync(string.Join(',', new[] { r.RowId, r.Name, r.IdNumber, r.BirthDate, r.Region, r.Address, r.Phone, r.Representative,
                    r.RepresentativeId, r.Entity.ToString(CultureInfo.InvariantCulture), r.IdForm, r.NameForm, r.RepresentativeForm }.Select(CsvFile.Quote)) + "\n");
        }
        var entities = rows.Select(r => r.Entity).Distinct().Count();
        Console.WriteLine();
        Console.WriteLine($"## {kind}: {rows.Count:N0} rows of {entities:N0} entities ({file}, {encoding.WebName})");
        Console.WriteLine("id forms:   " + Shares(rows.Select(r => r.IdForm)));
        Console.WriteLine("name forms: " + Shares(rows.Select(r => r.NameForm)));
        if (kind == "organization") Console.WriteLine("representative forms: " + Shares(rows.Select(r => r.RepresentativeForm)));
        if (!run) return true;

        if (kind == "person")
            return await ScoreAsync(kind, rows, file, "", ["--birth-date", "birth_date", "--address", "address", "--phone", "phone"]);
        // the same list without and with the legal representative's columns: before and after on identical rows
        string[] extra = ["--address", "address", "--phone", "phone"];
        return await ScoreAsync(kind, rows, file, "without the representative", extra)
             & await ScoreAsync(kind, rows, file, "with the representative", [.. extra, "--representative", "representative", "--representative-id", "representative_id"]);
    }

    private static async Task<bool> ScoreAsync(string kind, List<LabelledRow> rows, string file, string label, string[] extra)
    {
        var suffix = label.Length == 0 ? "" : "." + label.Split(' ')[0];
        var clusters = file + suffix + ".clusters.csv";
        var review = file + suffix + ".review.csv";
        var errors = file + suffix + ".stderr.txt";
        if (label.Length > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"### {label}: hub dedupe {string.Join(' ', extra)}");
        }
        var watch = Stopwatch.StartNew();
        int code;
        await using (var stdout = new StreamWriter(clusters, false, new UTF8Encoding(false)))
        await using (var stderr = new StreamWriter(errors, false, new UTF8Encoding(false)))
        {
            code = await HubCli.RunAsync(["dedupe", file, "--id", "row_id", "--name", "name", "--id-number", "id_number", "--region", "region",
                .. extra, "--kind", kind, "--review", review], stdout, stderr, http: null, CancellationToken.None);
        }
        watch.Stop();
        var summary = File.ReadLines(errors).LastOrDefault() ?? "";
        Console.WriteLine($"hub dedupe: exit {code}, {watch.Elapsed.TotalSeconds:0.0} s; {summary}");
        if (code != 0) { Console.WriteLine(File.ReadAllText(errors)); return false; }

        var printed = ReadCsv(clusters).ToList();
        if (!printed.Select(p => p[0]).SequenceEqual(rows.Select(r => r.RowId))) throw new InvalidOperationException("the output is not one line per row in order");
        var index = rows.Select((r, i) => (r.RowId, i)).ToDictionary(x => x.RowId, x => x.i);
        var truth = rows.Select(r => r.Entity).ToArray();
        var cluster = printed.Select(p => index[p[1]]).ToArray();

        var links = Pairwise.Of(truth, cluster);
        Console.WriteLine();
        Console.WriteLine("| | precision | recall | F1 | pairs linked (true) | true pairs |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        Console.WriteLine($"| automatic links | {links.Precision:0.0000} | {links.Recall:0.0000} | {links.F1:0.0000} | {links.Predicted:N0} ({links.TruePositives:N0}) | {links.Actual:N0} |");

        var usable = kind == "person" ? new[] { "whole", "whole-written", "masked", "first-generation", "masked-typo", "another-persons" }
            : ["uscc", "uscc-written", "org-code", "another-organisations"];
        var both = Pairwise.Of(truth, cluster, i => usable.Contains(rows[i].IdForm));
        Console.WriteLine($"| rows with a valid ID number only | {both.Precision:0.0000} | {both.Recall:0.0000} | {both.F1:0.0000} | {both.Predicted:N0} ({both.TruePositives:N0}) | {both.Actual:N0} |");

        // a perfect operator: every grey pair of one entity is judged the same, and its clusters joined
        var reviews = ReadCsv(review).Select(p => (A: index[p[2]], B: index[p[3]])).ToList();
        var sets = new int[rows.Count];
        for (var i = 0; i < sets.Length; i++) sets[i] = i;
        int Find(int x) { while (sets[x] != x) x = sets[x] = sets[sets[x]]; return x; }
        var confirmed = 0;
        foreach (var (a, b) in reviews)
            if (truth[a] == truth[b]) { confirmed++; sets[Find(cluster[a])] = Find(cluster[b]); }
        var operated = Pairwise.Of(truth, cluster.Select(c => Find(c)).ToArray());
        Console.WriteLine($"| links + review queue judged right | {operated.Precision:0.0000} | {operated.Recall:0.0000} | {operated.F1:0.0000} | {operated.Predicted:N0} ({operated.TruePositives:N0}) | {operated.Actual:N0} |");
        Console.WriteLine($"review queue: {reviews.Count:N0} pairs ({reviews.Count * 1000.0 / rows.Count:0} per 1,000 rows), {confirmed:N0} of them the same entity ({(reviews.Count == 0 ? 0 : confirmed * 100.0 / reviews.Count):0}%)");

        Console.WriteLine();
        Console.WriteLine("true pairs not linked, by the first reason that applies:");
        foreach (var (reason, n) in Missed(kind, rows, cluster).OrderByDescending(x => x.Value))
            Console.WriteLine($"  {n,9:N0}  {n * 100.0 / Math.Max(1, links.Actual - links.TruePositives),5:0.0}%  {reason}");
        Console.WriteLine("wrong links (rows of different entities in one cluster), up to 5 clusters:");
        foreach (var g in cluster.Select((c, i) => (c, i)).GroupBy(x => x.c).Where(g => g.Select(x => truth[x.i]).Distinct().Count() > 1).Take(5))
            Console.WriteLine("  " + string.Join(" | ", g.Select(x => rows[x.i]).Select(r =>
                $"{r.RowId} e{r.Entity} {r.Name} {(kind == "person" && r.IdNumber.Length >= 18 ? ResidentIdNumber.MaskNumber(IdentifierText.Normalize(r.IdNumber)) : r.IdNumber)} {r.BirthDate} {r.Region} {r.IdForm}/{r.NameForm}")));
        return true;
    }

    /// <summary>Why true pairs were not put in one cluster: the first of these that applies to the pair.</summary>
    private static Dictionary<string, long> Missed(string kind, List<LabelledRow> rows, int[] cluster)
    {
        var noKey = kind == "person" ? new[] { "none", "whole-typo" } : ["none", "uscc-typo", "registration-number"];
        var counts = new Dictionary<string, long>();
        foreach (var entity in Enumerable.Range(0, rows.Count).GroupBy(i => rows[i].Entity))
        {
            var members = entity.ToArray();
            for (var x = 0; x < members.Length; x++)
                for (var y = x + 1; y < members.Length; y++)
                {
                    var (i, j) = (members[x], members[y]);
                    if (cluster[i] == cluster[j]) continue;
                    var (a, b) = (rows[i], rows[j]);
                    string reason;
                    if (a.IdForm.StartsWith("another", StringComparison.Ordinal) || b.IdForm.StartsWith("another", StringComparison.Ordinal)) reason = "one row carries another subject's identifier (a shifted spreadsheet row)";
                    else if (kind == "person" && (a.IdForm == "none" || b.IdForm == "none"))
                        reason = "one row has no ID number and not the further evidence a link by name needs";
                    else if (kind == "person" && (a.IdForm == "whole-typo" || b.IdForm == "whole-typo"))
                        reason = "a whole number was mistyped (its masked form is another, or not one) and nothing else links" + Dates(a, b);
                    else if (noKey.Contains(a.IdForm) || noKey.Contains(b.IdForm))
                        reason = "one row has no valid ID number (missing, mistyped, a registration number) and not the further evidence a link by name needs" +
                                 (a.RepresentativeForm == "" ? "" : RepresentativeReason(a, b));
                    else if (kind == "person" && (a.IdForm == "masked-typo" || b.IdForm == "masked-typo")) reason = "a masked number was mistyped" + Dates(a, b);
                    else if (kind == "person" && NameNormalizer.Normalize(a.Name) != NameNormalizer.Normalize(b.Name))
                        reason = "masked number, a character of the name typed for another" + Dates(a, b);
                    else if (kind == "person" && (a.NameForm.Contains("birth-typo", StringComparison.Ordinal) || b.NameForm.Contains("birth-typo", StringComparison.Ordinal))) reason = "masked number, birth date mistyped";
                    else if (kind == "person" && Province(a) != Province(b)) reason = "masked number, a region of another province (moved): review";
                    else reason = kind == "person"
                        ? "a row that two clusters fit (mostly: another row's birth date mistyped): kept apart, review"
                        : "a row that two clusters fit (an organisation code whose USCC a shifted row gave to another): kept apart, review";
                    counts[reason] = counts.GetValueOrDefault(reason) + 1;
                }
        }
        return counts;
    }

    /// <summary>Whether both rows of a pair give the birth date, which the rules for one mistyped character need.</summary>
    private static string Dates(LabelledRow a, LabelledRow b) =>
        a.BirthDate.Length > 0 && b.BirthDate.Length > 0 ? " (both rows with the birth date)" : ", a row without the birth date";

    /// <summary>What the two rows' legal representatives were, for a missed pair of organisations without an identifier.</summary>
    private static string RepresentativeReason(LabelledRow a, LabelledRow b) =>
        a.RepresentativeForm == "none" || b.RepresentativeForm == "none" ? "; a row names no representative"
        : a.RepresentativeForm.StartsWith("earlier", StringComparison.Ordinal) != b.RepresentativeForm.StartsWith("earlier", StringComparison.Ordinal)
            ? "; the representative changed between the rows"
            : NameNormalizer.Normalize(a.Representative) != NameNormalizer.Normalize(b.Representative) ? "; the representative's name written differently"
            : "; the same representative's name";

    /// <summary>The province the matcher sees for a person's row: its region's, or its number's.</summary>
    private static string? Province(LabelledRow r) =>
        (r.Region != "" ? Hub.Domain.Resolution.Deduplicator.ParseRegion(r.Region) : null)?[..2] ?? (r.IdNumber.Length >= 2 ? IdentifierText.Normalize(r.IdNumber)[..2] : null);

    private static string Shares(IEnumerable<string> values)
    {
        var list = values.ToList();
        return string.Join(", ", list.GroupBy(v => v).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count() * 100.0 / list.Count:0.0}%"));
    }

    private static IEnumerable<string[]> ReadCsv(string path)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false));
        foreach (var r in CsvFile.Read(reader).Skip(1)) yield return r.Fields;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string? Text(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>Pairwise counts: pairs of rows in one cluster (predicted), pairs of rows of one entity (actual), both.</summary>
internal sealed record Pairwise(long TruePositives, long Predicted, long Actual)
{
    public double Precision => Predicted == 0 ? 1 : (double)TruePositives / Predicted;
    public double Recall => Actual == 0 ? 1 : (double)TruePositives / Actual;
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    public static Pairwise Of(int[] truth, int[] cluster, Func<int, bool>? include = null)
    {
        var cells = new Dictionary<(int, int), long>();
        var clusters = new Dictionary<int, long>();
        var entities = new Dictionary<int, long>();
        for (var i = 0; i < truth.Length; i++)
        {
            if (include is not null && !include(i)) continue;
            cells[(cluster[i], truth[i])] = cells.GetValueOrDefault((cluster[i], truth[i])) + 1;
            clusters[cluster[i]] = clusters.GetValueOrDefault(cluster[i]) + 1;
            entities[truth[i]] = entities.GetValueOrDefault(truth[i]) + 1;
        }
        static long Pairs(long n) => n * (n - 1) / 2;
        return new Pairwise(cells.Values.Sum(Pairs), clusters.Values.Sum(Pairs), entities.Values.Sum(Pairs));
    }
}
