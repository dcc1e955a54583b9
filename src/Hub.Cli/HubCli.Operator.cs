using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Hub.Cli;

/// <summary>
/// The operator console for a terminal: <c>hub queues</c>, <c>hub failed</c>, <c>hub replay</c>, <c>hub quarantine</c>,
/// through the same endpoints (<c>/api/operator/console/*</c>) and the same authorisation (an API key or certificate
/// holding <c>operate</c>) as the page. Figures print as tables; problems on standard error.
/// </summary>
public static partial class HubCli
{
    private const string ConsolePath = "api/operator/console/";

    private static async Task<int> QueuesAsync(Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        Only(o, "queues");
        using var client = http is null ? Client(o) : null;
        using var response = await (http ?? client!).GetAsync(ConsolePath + "queues", ct);
        var (root, code) = await OperatorReadAsync(response, stderr, ct);
        if (root is not { } view) return code;
        var queues = view.GetProperty("queues");
        var source = queues.GetProperty("source").GetString();
        // the management API down (or not configured): said first, then the Hub's own figures all the same
        if (Text(queues, "problem") is { } problem) await stderr.WriteLineAsync($"hub: {problem}");
        await stdout.WriteLineAsync($"queues from {(source switch
        {
            "management" => "the broker's management API",
            "counters" => "the Hub's own counters",
            _ => source,
        })} at {Time(queues, "at")}");
        Table.Write(stdout, ["QUEUE", "ROLE", "READY", "UNACKED", "IN/S", "OUT/S", "CONSUMERS", "OLDEST"],
            queues.GetProperty("queues").EnumerateArray().Select(q => new[]
            {
                q.GetProperty("name").GetString() ?? "",
                q.GetProperty("isError").GetBoolean() && (Long(q, "ready") ?? 0) > 0 ? "ERROR" : q.GetProperty("role").GetString() ?? "",
                Count(Long(q, "ready")), Count(Long(q, "unacknowledged")), Rate(q, "publishRate"), Rate(q, "deliverRate"), Count(Long(q, "consumers")),
                Age(Double(q, "oldestAgeSeconds")),
            }));
        var outbox = view.GetProperty("outbox");
        var pending = outbox.GetProperty("pending").GetInt64();
        await stdout.WriteLineAsync($"outbox: {pending} pending{(pending > 0 ? $", the oldest {Age(Double(outbox, "oldestPendingAgeSeconds"))} old" : "")}");
        await stdout.WriteLineAsync($"quarantine: {view.GetProperty("quarantineWaiting").GetInt64()} waiting");
        return 0;
    }

    private static async Task<int> FailedAsync(Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        Only(o, "failed", "group", "limit");
        var limit = Limit(o);
        using var client = http is null ? Client(o) : null;
        var hub = http ?? client!;
        if (o.GetValueOrDefault("group") is { } group)
        {
            using var one = await hub.GetAsync($"{ConsolePath}failed/groups/{Uri.EscapeDataString(group)}{(limit is null ? "" : $"?limit={limit}")}", ct);
            var (messages, failed) = await OperatorReadAsync(one, stderr, ct);
            if (messages is not { } list) return failed;
            // a batch of the bulk path: its first record, and how many it carries
            Table.Write(stdout, ["MESSAGE", "QUEUE", "TYPE", "AGENCY", "RECORD", "REV", "RECORDS", "FAILED", "REPLAYS", "REASON"],
                list.EnumerateArray().Select(m => new[]
                {
                    m.GetProperty("id").GetString() ?? "", Text(m, "queue") ?? "-", Text(m, "messageType") ?? "-", Text(m, "agencyCode") ?? "-",
                    Text(m, "sourceRecordId") ?? "-", Count(Long(m, "revision")), Count(Long(m, "records")), Time(m, "failedAt"),
                    m.GetProperty("replays").GetInt32() + (m.GetProperty("repeat").GetBoolean() ? " (repeat)" : ""),
                    Cut(m.GetProperty("reason").GetString(), 120),
                }));
            return 0;
        }
        using var response = await hub.GetAsync(ConsolePath + "failed", ct);
        var (root, code) = await OperatorReadAsync(response, stderr, ct);
        if (root is not { } view) return code;
        if (!view.GetProperty("available").GetBoolean())
        {
            await stderr.WriteLineAsync($"hub: {Text(view, "problem") ?? "failed messages cannot be read here"}");
            return 0;
        }
        // each error queue (the single-record path's, the bulk path's) with its groups
        var groups = view.GetProperty("groups").EnumerateArray().ToList();
        foreach (var queue in view.GetProperty("queues").EnumerateArray())
        {
            var name = queue.GetProperty("queue").GetString() ?? "";
            var inQueue = queue.GetProperty("inQueue").GetInt64();
            var read = queue.GetProperty("read").GetInt64();
            var own = groups.Where(g => g.GetProperty("queue").GetString() == name).ToList();
            await stdout.WriteLineAsync($"{name}: {inQueue} message(s) in {own.Count} group(s)" +
                                        (read < inQueue ? $" (the groups count the first {read})" : "") +
                                        (inQueue > 0 ? $", replayed to {queue.GetProperty("replaysTo").GetString()}" : ""));
            if (own.Count == 0) continue;
            Table.Write(stdout, ["GROUP", "COUNT", "REPEATS", "EXCEPTION", "AGENCIES", "FIRST", "LAST", "CAUSE"],
                own.Select(g => new[]
                {
                    g.GetProperty("id").GetString() ?? "", g.GetProperty("count").GetInt32().ToString(CultureInfo.InvariantCulture),
                    g.GetProperty("repeats").GetInt32().ToString(CultureInfo.InvariantCulture), g.GetProperty("exceptionType").GetString() ?? "",
                    string.Join(",", g.GetProperty("agencies").EnumerateArray().Select(a => a.GetString())), Time(g, "firstFailedAt"), Time(g, "lastFailedAt"),
                    Cut(g.GetProperty("cause").GetString(), 100),
                }));
        }
        if (groups.Count > 0) await stdout.WriteLineAsync("hub failed --group GROUP lists a group's messages; hub replay --group GROUP sends them back");
        return 0;
    }

    private static async Task<int> ReplayAsync(Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        Only(o, "replay", "group", "message", "all");
        var chosen = new[] { "group", "message", "all" }.Where(o.ContainsKey).ToList();
        if (chosen.Count != 1) throw new ArgumentException("replay needs exactly one of --group ID, --message ID or --all");
        var path = chosen[0] switch
        {
            "group" => $"failed/groups/{Uri.EscapeDataString(Value(o, "group"))}/replay",
            "message" => $"failed/messages/{Uri.EscapeDataString(Value(o, "message"))}/replay",
            _ => "failed/replay-all",
        };
        using var client = http is null ? Client(o) : null;
        using var response = await (http ?? client!).PostAsync(ConsolePath + path, null, ct);
        var (root, code) = await OperatorReadAsync(response, stderr, ct);
        if (root is not { } done) return code;
        var ids = done.GetProperty("messageIds").EnumerateArray().Select(i => i.GetString()).ToList();
        await stdout.WriteLineAsync($"replayed {done.GetProperty("count").GetInt32()} message(s) to the queue they failed on: " +
                                    string.Join(", ", ids.Take(20)) + (ids.Count > 20 ? $" and {ids.Count - 20} more" : ""));
        return 0;
    }

    private static async Task<int> QuarantineGroupsAsync(Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        Only(o, "quarantine");
        using var client = http is null ? Client(o) : null;
        using var response = await (http ?? client!).GetAsync(ConsolePath + "quarantine", ct);
        var (root, code) = await OperatorReadAsync(response, stderr, ct);
        if (root is not { } view) return code;
        await stdout.WriteLineAsync($"{view.GetProperty("waiting").GetInt64()} quarantined record(s) waiting");
        Table.Write(stdout, ["REASON", "AGENCY", "COUNT", "OLDEST", "NEWEST"],
            view.GetProperty("groups").EnumerateArray().Select(g => new[]
            {
                g.GetProperty("reasonCode").GetString() ?? "", Text(g, "agencyCode") ?? "(no verified publisher)",
                g.GetProperty("count").GetInt64().ToString(CultureInfo.InvariantCulture), Time(g, "oldestAt"), Time(g, "newestAt"),
            }));
        return 0;
    }

    private static async Task<int> QuarantineListAsync(Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        Only(o, "quarantine list", "reason", "agency", "limit");
        var query = new List<string>();
        if (o.GetValueOrDefault("reason") is { } reason) query.Add("reasonCode=" + Uri.EscapeDataString(reason));
        if (o.GetValueOrDefault("agency") is { } agency) query.Add("agency=" + Uri.EscapeDataString(agency));
        if (Limit(o) is { } limit) query.Add("limit=" + limit);
        using var client = http is null ? Client(o) : null;
        using var response = await (http ?? client!).GetAsync(ConsolePath + "quarantine/entries" + (query.Count > 0 ? "?" + string.Join("&", query) : ""), ct);
        var (root, code) = await OperatorReadAsync(response, stderr, ct);
        if (root is not { } list) return code;
        Table.Write(stdout, ["ID", "AGENCY", "RECORD", "REV", "KIND", "REASON", "RECEIVED", "WHY"],
            list.EnumerateArray().Select(e => new[]
            {
                e.GetProperty("id").GetString() ?? "", Text(e, "agencyCode") ?? "-", Text(e, "sourceRecordId") ?? "-", Count(Long(e, "revision")),
                e.GetProperty("kind").GetString() ?? "", e.GetProperty("reasonCode").GetString() ?? "", Time(e, "receivedAt"),
                Cut(e.GetProperty("reason").GetString(), 120),
            }));
        return 0;
    }

    private static async Task<int> QuarantineDecideAsync(string decision, string id, Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr,
        HttpClient? http, CancellationToken ct)
    {
        string? reason = null;
        if (decision == "reject")
        {
            Only(o, "quarantine reject", "reason");
            reason = o.GetValueOrDefault("reason");
            if (string.IsNullOrWhiteSpace(reason)) throw new ArgumentException("quarantine reject needs --reason TEXT (the agency is told it)");
        }
        else Only(o, "quarantine release");
        using var client = http is null ? Client(o) : null;
        using var body = reason is null ? null : new StringContent(JsonSerializer.Serialize(new { reason }), Encoding.UTF8, "application/json");
        using var response = await (http ?? client!).PostAsync($"{ConsolePath}quarantine/{Uri.EscapeDataString(id)}/{decision}", body, ct);
        var (root, code) = await OperatorReadAsync(response, stderr, ct);
        if (root is not { } done) return code;
        await stdout.WriteLineAsync($"{done.GetProperty("id").GetString()}: {done.GetProperty("outcome").GetString()} — {done.GetProperty("detail").GetString()}");
        return 0;
    }

    /// <summary>
    /// The JSON of a successful answer; otherwise what went wrong on standard error — the credentials refused (401), the
    /// scope missing (403), or the problem's detail (with its reason code) — and the exit code: 1 for what was asked
    /// (400, 404, 409: nothing changed), 3 for the rest.
    /// </summary>
    private static async Task<(JsonElement? Body, int Code)> OperatorReadAsync(HttpResponseMessage response, TextWriter stderr, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.IsSuccessStatusCode) return (JsonDocument.Parse(body).RootElement.Clone(), 0);
        var detail = Error(body);
        if (ReasonCode(body) is { } reasonCode) detail += $" (reason code {reasonCode})";
        await stderr.WriteLineAsync(response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => $"hub: the Hub refused the credentials (401): {detail}; give an operator's API key with --api-key KEY or $HUB_API_KEY",
            HttpStatusCode.Forbidden => $"hub: not allowed (403): {detail}",
            HttpStatusCode.ServiceUnavailable => $"hub: the Hub cannot do this now (503): {detail}",
            var status => $"hub: {(int)status} {detail}",
        });
        return (null, response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.Conflict ? 1 : 3);
    }

    private static string? ReasonCode(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty("reasonCode", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>Refuses options a command does not take (the connection's are taken by every command).</summary>
    private static void Only(Dictionary<string, string?> o, string command, params string[] allowed)
    {
        string[] connection = ["hub", "api-key", "cert", "cert-key", "ca"];
        if (o.Keys.FirstOrDefault(k => !allowed.Contains(k) && !connection.Contains(k)) is { } unknown)
            throw new ArgumentException($"{command} does not take --{unknown}");
    }

    private static string Value(Dictionary<string, string?> o, string name) =>
        o.GetValueOrDefault(name) is { Length: > 0 } v ? v : throw new ArgumentException($"--{name} needs a value");

    private static int? Limit(Dictionary<string, string?> o) =>
        o.GetValueOrDefault("limit") is not { } text ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
        : throw new ArgumentException("--limit takes a whole number above 0");

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    private static double? Double(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Count(long? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Rate(JsonElement e, string name) => Double(e, name)?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-";

    /// <summary>A time of the API's (ISO 8601) as UTC to the second.</summary>
    private static string Time(JsonElement e, string name) =>
        Text(e, name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    /// <summary>An age in the largest two units: 45s, 3m05s, 2h10m, 4d03h.</summary>
    internal static string Age(double? seconds)
    {
        if (seconds is not { } s) return "-";
        var t = TimeSpan.FromSeconds(Math.Max(0, Math.Round(s)));
        return t.TotalDays >= 1 ? $"{(int)t.TotalDays}d{t.Hours:00}h"
            : t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m"
            : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s"
            : $"{t.Seconds}s";
    }

    private static string Cut(string? text, int max)
    {
        var flat = (text ?? "").ReplaceLineEndings(" ");
        return flat.Length <= max ? flat : flat[..(max - 1)] + "…";
    }
}

/// <summary>Columns padded to their widest cell, as a terminal shows them (Chinese characters take two columns).</summary>
internal static class Table
{
    public static void Write(TextWriter output, string[] headers, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { headers };
        all.AddRange(rows);
        if (all.Count == 1)
        {
            output.WriteLine("(none)");
            return;
        }
        var widths = headers.Select((_, i) => all.Max(r => Width(r[i]))).ToArray();
        foreach (var row in all)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(row[i]);
                if (i < row.Length - 1) line.Append(' ', widths[i] - Width(row[i]) + 2);
            }
            output.WriteLine(line.ToString().TrimEnd());
        }
    }

    /// <summary>Terminal columns: East Asian wide and full-width characters count two.</summary>
    public static int Width(string text) => text.EnumerateRunes().Sum(r => r.Value switch
    {
        >= 0x1100 and <= 0x115F or >= 0x2E80 and <= 0xA4CF or >= 0xAC00 and <= 0xD7A3 or >= 0xF900 and <= 0xFAFF
            or >= 0xFE30 and <= 0xFE4F or >= 0xFF00 and <= 0xFF60 or >= 0xFFE0 and <= 0xFFE6 or >= 0x20000 and <= 0x3FFFD => 2,
        _ => 1,
    });
}
