using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Domain.Identifiers;

namespace Hub.Cli;

/// <summary>
/// The <c>hub</c> command. Exit codes: 0 done, 1 some input refused (invalid identifier, rejected notice, not found),
/// 2 usage, 3 the Hub could not be reached or could not take everything.
/// </summary>
public static class HubCli
{
    public const string Usage = """
        usage:
          hub id check VALUE...                         check identifiers (USCC, organisation code, ID number)
          hub ingest FILE --agency CODE [--removals]    send a file of court notices (JSON array or JSON lines)
          hub lookup --uscc|--ric|--org-code VALUE      show a subject, its relations and listings
          hub broker-definitions [--agencies FILE] [--catalogue FILE]
                                                        print the RabbitMQ definitions (vhost, users, permissions)
                                                        for the agency registry and legal-basis catalogue
        options:
          --hub URL    the Hub's address (default: $HUB_URL or http://localhost:5080)
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        try
        {
            return args switch
            {
                ["id", "check", .. var values] when values.Length > 0 => IdCheck(values, stdout),
                ["ingest", var file, .. var rest] => await IngestAsync(file, Options(rest), stdout, stderr, http, ct),
                ["lookup", .. var rest] => await LookupAsync(Options(rest), stdout, stderr, http, ct),
                ["broker-definitions", .. var rest] => await BrokerDefinitionsAsync(Options(rest), stdout, stderr, ct),
                _ => UsageError(stderr, null),
            };
        }
        catch (ArgumentException ex)
        {
            return UsageError(stderr, ex.Message);
        }
        catch (HttpRequestException ex)
        {
            await stderr.WriteLineAsync($"hub: cannot reach the Hub: {ex.Message}");
            return 3;
        }
    }

    /// <summary>One line per value: input, scheme, valid|invalid, normalised form or -, reason or -. Tab-separated.</summary>
    public static int IdCheck(IEnumerable<string> values, TextWriter stdout)
    {
        var allValid = true;
        foreach (var v in values)
        {
            var c = IdentifierDetector.Check(v);
            allValid &= c.IsValid;
            stdout.WriteLine(string.Join('\t', v, c.Scheme.Name(), c.IsValid ? "valid" : "invalid", c.Normalized ?? "-", c.Reason ?? "-"));
        }
        return allValid ? 0 : 1;
    }

    private static async Task<int> IngestAsync(string file, Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        var agency = o.GetValueOrDefault("agency") ?? throw new ArgumentException("ingest needs --agency CODE");
        if (!File.Exists(file)) { await stderr.WriteLineAsync($"hub: no file {file}"); return 2; }
        var kind = o.ContainsKey("removals") ? "removals" : "notices";
        using var client = http is null ? Client(o) : null;
        var hub = http ?? client!;
        await using var stream = File.OpenRead(file);
        using var content = new StreamContent(stream);
        var jsonLines = file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);
        content.Headers.ContentType = new MediaTypeHeaderValue(jsonLines ? "application/x-ndjson" : "application/json");
        using var response = await hub.PostAsync($"api/adapters/court/{Uri.EscapeDataString(agency)}/{kind}", content, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable))
        {
            await stderr.WriteLineAsync($"hub: {(int)response.StatusCode} {Error(body)}");
            return response.StatusCode == HttpStatusCode.NotFound ? 1 : 3;
        }
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        var position = jsonLines ? "line" : "item";
        foreach (var r in root.GetProperty("results").EnumerateArray())
        {
            var status = r.GetProperty("status").GetString();
            var where = $"{file}:{position} {r.GetProperty("position").GetInt32()}";
            if (status != "accepted")
                await stderr.WriteLineAsync($"{where}\t{status}\t{r.GetProperty("reason").GetString()}");
            foreach (var w in r.GetProperty("warnings").EnumerateArray())
                await stderr.WriteLineAsync($"{where}\twarning\t{w.GetString()}");
        }
        var accepted = root.GetProperty("accepted").GetInt32();
        var rejected = root.GetProperty("rejected").GetInt32();
        var failed = root.GetProperty("failed").GetInt32();
        await stdout.WriteLineAsync($"{accepted} accepted, {rejected} rejected, {failed} failed");
        return failed > 0 ? 3 : rejected > 0 ? 1 : 0;
    }

    /// <summary>The definitions deploy/rabbitmq/definitions.json is generated with: the shipped registry and catalogue,
    /// or the reviewed files a deployment replaces them with (the same files as <c>Hub:Catalogue:*File</c>).</summary>
    private static async Task<int> BrokerDefinitionsAsync(Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (o.Keys.Except(["agencies", "catalogue"]).FirstOrDefault() is { } unknown) throw new ArgumentException($"unexpected '--{unknown}'");
        foreach (var file in new[] { o.GetValueOrDefault("agencies"), o.GetValueOrDefault("catalogue") }.OfType<string>())
            if (!File.Exists(file)) { await stderr.WriteLineAsync($"hub: no file {file}"); return 2; }
        var agencies = o.GetValueOrDefault("agencies") is { } a ? AgencyRegistry.Load(await File.ReadAllTextAsync(a, ct)) : AgencyRegistry.Embedded();
        var catalogue = o.GetValueOrDefault("catalogue") is { } c ? LegalBasisCatalogue.Load(await File.ReadAllTextAsync(c, ct)) : LegalBasisCatalogue.Embedded();
        await stdout.WriteAsync(new BrokerUsers(agencies, catalogue).Definitions());
        return 0;
    }

    private static async Task<int> LookupAsync(Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        var (key, value) = new[] { "uscc", "ric", "org-code" }.Select(k => (k, o.GetValueOrDefault(k))).FirstOrDefault(p => p.Item2 is not null);
        if (value is null) throw new ArgumentException("lookup needs --uscc, --ric or --org-code VALUE");
        using var client = http is null ? Client(o) : null;
        var hub = http ?? client!;
        var query = key == "org-code" ? "orgCode" : key;
        using var response = await hub.GetAsync($"api/subjects?{query}={Uri.EscapeDataString(value)}", ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            await stderr.WriteLineAsync($"hub: {Error(body)}");
            return response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest ? 1 : 3;
        }
        using var doc = JsonDocument.Parse(body);
        await stdout.WriteLineAsync(JsonSerializer.Serialize(doc.RootElement, Pretty));
        return 0;
    }

    private static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All),
    };

    private static string Error(string body)
    {
        try { return JsonDocument.Parse(body).RootElement.GetProperty("error").GetString() ?? body; }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException) { return body; }
    }

    private static HttpClient Client(Dictionary<string, string?> o)
    {
        var url = o.GetValueOrDefault("hub") ?? Environment.GetEnvironmentVariable("HUB_URL") ?? "http://localhost:5080";
        return new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(5) };
    }

    private static Dictionary<string, string?> Options(string[] rest)
    {
        var o = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < rest.Length; i++)
        {
            if (!rest[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected '{rest[i]}'");
            var name = rest[i][2..];
            if (name == "removals") { o[name] = null; continue; }
            if (i + 1 >= rest.Length) throw new ArgumentException($"--{name} needs a value");
            o[name] = rest[++i];
        }
        return o;
    }

    private static int UsageError(TextWriter stderr, string? message)
    {
        if (message is not null) stderr.WriteLine($"hub: {message}");
        stderr.Write(Usage);
        return 2;
    }
}
