using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Domain.Identifiers;

namespace Hub.Cli;

/// <summary>
/// The <c>hub</c> command. Exit codes: 0 done, 1 some input refused (invalid identifier, rejected notice, not found),
/// 2 usage, 3 the Hub could not be reached or could not take everything.
/// </summary>
public static partial class HubCli
{
    public const string Usage = """
        usage:
          hub id check VALUE...                         check identifiers (USCC, organisation code, ID number)
          hub ingest FILE --agency CODE [--removals]    send a file of court notices (JSON array or JSON lines)
          hub load FILE --agency CODE [--chunk N] [--restart] [--operator-key KEY]
                                                        send a large file of court notices (JSON lines) through the bulk
                                                        door in chunks of up to 5,000, with progress; resumes after an
                                                        interruption (state in FILE.hubload); refusals in FILE.rejects;
                                                        with an operator's key, also what the aggregator quarantined
          hub lookup --uscc|--ric|--org-code VALUE      show a subject, its relations and listings
          hub broker-definitions [--agencies FILE] [--catalogue FILE]
                                                        print the RabbitMQ definitions (vhost, users, permissions)
                                                        for the agency registry and legal-basis catalogue
          hub audit verify [--anchor SEQ:HASH]          walk the audit log's hash chain; name the first broken entry
                                                        (with an anchor noted earlier, also entries cut from its end)
          hub audit show --subject HUBID [--limit N]    who saw a subject, and what was written about it
          hub keys add PRINCIPAL [--label TEXT]         create an API key (an agency code, or role:name); shown once
          hub keys list | hub keys revoke ID            the API keys (never the keys themselves) / revoke one
          hub queues                                    every Hub queue (ready, unacknowledged, rates, consumers, oldest),
                                                        the outbox backlog and quarantined records waiting
          hub failed [--group ID] [--limit N]           failed messages grouped by cause, or the messages of one group
          hub replay --group ID | --message ID | --all  send failed messages back to the queue they failed on
          hub quarantine                                quarantined records waiting, counted by reason and agency
          hub quarantine list [--reason CODE] [--agency CODE] [--limit N]
                                                        the waiting records (ids to release or reject)
          hub quarantine release ID                     apply a quarantined record again once what was wrong is corrected
          hub quarantine reject ID --reason TEXT        refuse it for good; the agency is told the reason
                                                        (these five need an operator's key: scope operate)
          hub dedupe FILE.csv --id COL --name COL --kind person|organization
                 [--id-number COL] [--birth-date COL] [--region COL] [--address COL] [--phone COL] [--review FILE]
                 [--representative COL [--representative-id COL]]
                                                        print row_id,cluster_id for every row of a CSV list (UTF-8 or
                                                        GB18030) with the aggregator's matching rules; --review writes
                                                        the grey pairs with score and evidence; --representative: an
                                                        organisation's legal representative's name, --representative-id
                                                        their ID number (whole or masked). Works offline
        options:
          --hub URL         the Hub's address (default: $HUB_URL or http://localhost:5080)
          --api-key KEY     sent as X-Api-Key (default: $HUB_API_KEY)
          --cert FILE --cert-key FILE   a client certificate and its key (PEM) for mutual TLS
          --ca FILE         the authority that issued the Hub's server certificate (PEM), when it is the Hub's own
        exit codes: 0 done; 1 some input refused (invalid identifier, rejected notice, not found, broken audit chain);
          2 usage; 3 the Hub could not be reached, refused the credentials, or could not take everything
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        try
        {
            return args switch
            {
                ["id", "check", .. var values] when values.Length > 0 => IdCheck(values, stdout),
                ["ingest", var file, .. var rest] => await IngestAsync(file, Options(rest), stdout, stderr, http, ct),
                ["load", var file, .. var rest] => await LoadAsync(file, Options(rest), stdout, stderr, http, ct),
                ["lookup", .. var rest] => await LookupAsync(Options(rest), stdout, stderr, http, ct),
                ["broker-definitions", .. var rest] => await BrokerDefinitionsAsync(Options(rest), stdout, stderr, ct),
                ["audit", "verify", .. var rest] => await AuditVerifyAsync(Options(rest), stdout, stderr, http, ct),
                ["audit", "show", .. var rest] => await AuditShowAsync(Options(rest), stdout, stderr, http, ct),
                ["keys", "add", var principal, .. var rest] => await KeysAddAsync(principal, Options(rest), stdout, stderr, http, ct),
                ["keys", "list", .. var rest] => await KeysListAsync(Options(rest), stdout, stderr, http, ct),
                ["keys", "revoke", var id, .. var rest] => await KeysRevokeAsync(id, Options(rest), stdout, stderr, http, ct),
                ["dedupe", var file, .. var rest] => await DedupeCommand.RunAsync(file, Options(rest), stdout, stderr, ct),
                ["queues", .. var rest] => await QueuesAsync(Options(rest), stdout, stderr, http, ct),
                ["failed", .. var rest] => await FailedAsync(Options(rest), stdout, stderr, http, ct),
                ["replay", .. var rest] => await ReplayAsync(Options(rest), stdout, stderr, http, ct),
                ["quarantine", .. var rest] when rest.Length == 0 || rest[0].StartsWith("--", StringComparison.Ordinal) =>
                    await QuarantineGroupsAsync(Options(rest), stdout, stderr, http, ct),
                ["quarantine", "list", .. var rest] => await QuarantineListAsync(Options(rest), stdout, stderr, http, ct),
                ["quarantine", "release", var id, .. var rest] => await QuarantineDecideAsync("release", id, Options(rest), stdout, stderr, http, ct),
                ["quarantine", "reject", var id, .. var rest] => await QuarantineDecideAsync("reject", id, Options(rest), stdout, stderr, http, ct),
                _ => UsageError(stderr, null),
            };
        }
        catch (ArgumentException ex)
        {
            return UsageError(stderr, ex.Message);
        }
        catch (HttpRequestException ex)
        {
            await stderr.WriteLineAsync($"hub: cannot reach the Hub{(ex.StatusCode is null && UrlOf(args) is { } url ? " at " + url : "")}: {ex.Message} " +
                                        "(is it running? --hub URL or $HUB_URL names another)");
            return 3;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("hub: the Hub did not answer in time; what it accepted stays accepted, send the rest again");
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
            return response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge ? 1 : 3;
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
        // --orgCode is the API's spelling: taken too
        if (o.Remove("orgCode", out var camel)) o["org-code"] = camel;
        var (key, value) = new[] { "uscc", "ric", "org-code" }.Select(k => (k, o.GetValueOrDefault(k))).FirstOrDefault(p => p.Item2 is not null);
        if (value is null) throw new ArgumentException("lookup needs --uscc, --ric or --org-code VALUE");
        using var client = http is null ? Client(o) : null;
        var hub = http ?? client!;
        var query = key == "org-code" ? "orgCode" : key;
        // an ID number goes in the body, never in a URL
        using var response = await hub.PostAsync("api/subjects/search",
            new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { [query] = value }), System.Text.Encoding.UTF8, "application/json"), ct);
        var (body, code) = await ReadAsync(response, stderr, ct);
        if (body is null) return code;
        using var doc = JsonDocument.Parse(body);
        await stdout.WriteLineAsync(JsonSerializer.Serialize(doc.RootElement, Pretty));
        return 0;
    }

    private static async Task<int> AuditVerifyAsync(Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        using var client = http is null ? Client(o) : null;
        var query = "";
        if (o.GetValueOrDefault("anchor") is { } anchor)
        {
            var parts = anchor.Split(':', 2);
            if (parts.Length != 2 || !long.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var seq))
                throw new ArgumentException("--anchor takes SEQ:HASH, as a previous `hub audit verify` printed its head");
            query = $"?anchorSeq={seq}&anchorHash={Uri.EscapeDataString(parts[1])}";
        }
        using var response = await (http ?? client!).GetAsync("api/audit/verify" + query, ct);
        var (body, code) = await ReadAsync(response, stderr, ct);
        if (body is null) return code;
        var r = JsonDocument.Parse(body).RootElement;
        var entries = r.GetProperty("entries").GetInt64();
        if (r.GetProperty("firstBrokenSeq").ValueKind == JsonValueKind.Null)
        {
            await stdout.WriteLineAsync($"intact: {entries} entries; head {r.GetProperty("headSeq").GetInt64()}:{r.GetProperty("headHash").GetString()} " +
                                        "(note it elsewhere; --anchor SEQ:HASH later finds entries cut from the end)");
            return 0;
        }
        await stdout.WriteLineAsync($"BROKEN at entry {r.GetProperty("firstBrokenSeq").GetInt64()}: {r.GetProperty("problem").GetString()} " +
                                    $"({entries} entries before it verify)");
        return 1;
    }

    /// <summary>One tab-separated line per entry, newest first: seq, time, principal, agency, action, outcome, detail.</summary>
    private static async Task<int> AuditShowAsync(Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        var subject = o.GetValueOrDefault("subject") ?? throw new ArgumentException("audit show needs --subject HUBID");
        var limit = o.GetValueOrDefault("limit") ?? "100";
        using var client = http is null ? Client(o) : null;
        using var response = await (http ?? client!).GetAsync($"api/audit?subject={Uri.EscapeDataString(subject)}&limit={Uri.EscapeDataString(limit)}", ct);
        var (body, code) = await ReadAsync(response, stderr, ct);
        if (body is null) return code;
        foreach (var e in JsonDocument.Parse(body).RootElement.EnumerateArray())
            await stdout.WriteLineAsync(string.Join('\t', e.GetProperty("seq").GetInt64(), e.GetProperty("at").GetString(), e.GetProperty("principal").GetString(),
                e.GetProperty("agencyCode").GetString() ?? "-", e.GetProperty("action").GetString(), e.GetProperty("outcome").GetString(),
                e.GetProperty("detail").GetString() ?? "-"));
        return 0;
    }

    private static async Task<int> KeysAddAsync(string principal, Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        using var client = http is null ? Client(o) : null;
        using var response = await (http ?? client!).PostAsync("api/operator/api-keys", new StringContent(
            JsonSerializer.Serialize(new { principal, label = o.GetValueOrDefault("label") }), System.Text.Encoding.UTF8, "application/json"), ct);
        var (body, code) = await ReadAsync(response, stderr, ct);
        if (body is null) return code;
        var r = JsonDocument.Parse(body).RootElement;
        await stdout.WriteLineAsync($"{r.GetProperty("principal").GetString()}\t{r.GetProperty("id").GetString()}\t{r.GetProperty("key").GetString()}");
        await stderr.WriteLineAsync("hub: the key is shown this once; the Hub keeps only its hash");
        return 0;
    }

    private static async Task<int> KeysListAsync(Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        using var client = http is null ? Client(o) : null;
        using var response = await (http ?? client!).GetAsync("api/operator/api-keys", ct);
        var (body, code) = await ReadAsync(response, stderr, ct);
        if (body is null) return code;
        foreach (var k in JsonDocument.Parse(body).RootElement.EnumerateArray())
            await stdout.WriteLineAsync(string.Join('\t', k.GetProperty("id").GetString(), k.GetProperty("principal").GetString(),
                k.GetProperty("createdAt").GetString(), k.GetProperty("revokedAt").ValueKind == JsonValueKind.Null ? "active" : "revoked " + k.GetProperty("revokedAt").GetString(),
                k.GetProperty("label").GetString() ?? "-"));
        return 0;
    }

    private static async Task<int> KeysRevokeAsync(string id, Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        using var client = http is null ? Client(o) : null;
        using var response = await (http ?? client!).DeleteAsync($"api/operator/api-keys/{Uri.EscapeDataString(id)}", ct);
        var (body, code) = await ReadAsync(response, stderr, ct);
        if (body is null) return code;
        await stdout.WriteLineAsync($"revoked {id}");
        return 0;
    }

    /// <summary>The body of a successful answer; otherwise the problem on standard error and the exit code for it.</summary>
    private static async Task<(string? Body, int Code)> ReadAsync(HttpResponseMessage response, TextWriter stderr, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.IsSuccessStatusCode) return (body, 0);
        await stderr.WriteLineAsync($"hub: {(int)response.StatusCode} {Error(body)}");
        return (null, response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.Conflict ? 1 : 3);
    }

    private static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All),
    };

    private static string Error(string body)
    {
        try
        {
            var root = JsonDocument.Parse(body).RootElement;
            return (root.TryGetProperty("detail", out var d) ? d : root.GetProperty("error")).GetString() ?? body;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException) { return body; }
    }

    /// <summary>The Hub's address as a command line names it (for messages only; <see cref="Client"/> connects).</summary>
    private static string? UrlOf(string[] args)
    {
        var at = Array.IndexOf(args, "--hub");
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : Environment.GetEnvironmentVariable("HUB_URL") ?? "http://localhost:5080";
    }

    private static HttpClient Client(Dictionary<string, string?> o)
    {
        var url = o.GetValueOrDefault("hub") ?? Environment.GetEnvironmentVariable("HUB_URL") ?? "http://localhost:5080";
        var handler = new HttpClientHandler();
        if (o.GetValueOrDefault("cert") is { } cert)
        {
            var key = o.GetValueOrDefault("cert-key") ?? throw new ArgumentException("--cert needs --cert-key FILE (the certificate's private key, PEM)");
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(cert, key));
        }
        if (o.GetValueOrDefault("ca") is { } ca)
        {
            var authority = X509Certificate2.CreateFromPem(File.ReadAllText(ca));
            handler.ServerCertificateCustomValidationCallback = (_, server, _, errors) =>
            {
                if (server is null) return false;
                if (errors == System.Net.Security.SslPolicyErrors.None) return true;
                if ((errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(server);
            };
        }
        var client = new HttpClient(handler) { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(5) };
        if ((o.GetValueOrDefault("api-key") ?? Environment.GetEnvironmentVariable("HUB_API_KEY")) is { Length: > 0 } apiKey)
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    private static Dictionary<string, string?> Options(string[] rest)
    {
        var o = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < rest.Length; i++)
        {
            if (!rest[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected '{rest[i]}'");
            var name = rest[i][2..];
            if (name is "removals" or "all" or "restart") { o[name] = null; continue; }
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
