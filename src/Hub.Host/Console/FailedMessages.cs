using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hub.Aggregator;
using Hub.Aggregator.Consumers;
using Hub.Domain.Identifiers;
using RabbitMQ.Client;

namespace Hub.Host.OperatorConsole;

/// <summary>
/// A message in an error queue as the console shows it: why it failed (MassTransit's <c>MT-Fault-*</c> headers), which
/// record it carries (the envelope's <c>source</c>), when it failed, and how often an operator replayed it before
/// (<see cref="FailedMessages.ReplaysHeader"/>): a message with replays is a repeat — it failed again after a replay.
/// A batch of the bulk path (<c>records</c>) is shown by its first record — agency, source record id, revision — and
/// <see cref="Records"/>, how many it carries (null for a message of one record).
/// </summary>
public sealed record FailedMessage(
    string Id, string Queue, string? MessageType, string ExceptionType, string Reason, string? AgencyCode, string? PublisherUser,
    string? SourceRecordId, int? Revision, DateTimeOffset? FailedAt, int Replays, string GroupId, string Cause, int? Records = null)
{
    public bool Repeat => Replays > 0;
}

/// <summary>What a message failed of: exception type, normalised message and queue; one group per cause.</summary>
public sealed record FailureGroup(string Id, string Queue, string ExceptionType, string Cause, int Count, int Repeats, DateTimeOffset? FirstFailedAt,
    DateTimeOffset? LastFailedAt, IReadOnlyList<string> Agencies, IReadOnlyList<FailedMessage> Sample);

/// <summary>Reading MassTransit's error-queue messages and telling their causes apart.</summary>
public static partial class FailedMessages
{
    /// <summary>Set by a replay on the message it sends back: how many times operators replayed it. MassTransit keeps a
    /// message's headers when it moves it to the error queue again, so a message that fails after a replay shows it.</summary>
    public const string ReplaysHeader = "hub-replays";
    public const string ReplayedAtHeader = "hub-replayed-at";
    public const string ReplayedByHeader = "hub-replayed-by";

    /// <summary>The queue an error queue's messages go back to (MassTransit names them <c>{queue}_error</c>).</summary>
    public static string SourceQueueOf(string errorQueue) =>
        errorQueue.EndsWith(AggregatorOptions.ErrorSuffix, StringComparison.Ordinal) ? errorQueue[..^AggregatorOptions.ErrorSuffix.Length] : errorQueue;

    /// <summary>Reads one delivered message. Its publisher is the one the broker vouched for when it first came: the
    /// Hub moved it here as itself, naming that publisher in a header (<see cref="VouchedPublisher"/>).</summary>
    public static FailedMessage Read(string queue, IReadOnlyBasicProperties properties, ReadOnlySpan<byte> body, AuditPublishers hub)
    {
        var headers = properties.Headers;
        var exceptionType = Text(headers, "MT-Fault-ExceptionType") ?? Text(headers, "MT-Reason") ?? "unknown";
        var message = Text(headers, "MT-Fault-Message") ?? "(no fault message)";
        var failedAt = DateTimeOffset.TryParse(Text(headers, "MT-Fault-Timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t : properties.Timestamp.UnixTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(properties.Timestamp.UnixTime) : (DateTimeOffset?)null;
        string? type = null, agency = null, sourceId = null;
        int? revision = null, records = null;
        try
        {
            var root = JsonDocument.Parse(body.ToArray()).RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new JsonException("no envelope"); // JSON, but no object: nothing more to read
            if (root.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0)
                type = types[0].GetString();
            var m = root.TryGetProperty("message", out var inner) && inner.ValueKind == JsonValueKind.Object ? inner : default;
            // a batch of the bulk path: its records' count, and its first record stands for it (all name one agency)
            if (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("records", out var batch) && batch.ValueKind == JsonValueKind.Array)
            {
                records = batch.GetArrayLength();
                m = records > 0 && batch[0].ValueKind == JsonValueKind.Object ? batch[0] : default;
            }
            if (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                agency = s.TryGetProperty("agencyCode", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
                sourceId = s.TryGetProperty("sourceRecordId", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
                revision = s.TryGetProperty("revision", out var r) && r.TryGetInt32(out var rv) ? rv : null;
            }
        }
        catch (JsonException)
        {
            // unreadable: the fault says why; nothing more to show
        }
        var cause = Normalise(message);
        var id = string.IsNullOrEmpty(properties.MessageId) ? "sha-" + Convert.ToHexStringLower(SHA256.HashData(body))[..24] : properties.MessageId!;
        return new FailedMessage(Shown(id, 100)!, queue, Shown(type, 200), Shown(exceptionType, 200)!, ResidentIdNumber.MaskAllIn(Shown(message, 500)!),
            Shown(agency, 64), Shown(VouchedPublisher.Of(properties, hub), 64), Shown(sourceId, 200), revision, failedAt, Replays(headers), GroupIdOf(queue, exceptionType, cause), cause, records);
    }

    /// <summary>The id of a cause: stable across reads and processes.</summary>
    public static string GroupIdOf(string queue, string exceptionType, string cause) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{queue}\n{exceptionType}\n{cause}")))[..16];

    /// <summary>
    /// A fault message with what differs from one message to the next taken out — ids, numbers, times, quoted values,
    /// positions — so that one bad deployment is one cause, not ten thousand. ID numbers never survive it.
    /// </summary>
    public static string Normalise(string message)
    {
        var s = ResidentIdNumber.MaskAllIn(message);
        s = Guids().Replace(s, "{id}");
        s = Times().Replace(s, "{time}");
        s = Quoted().Replace(s, m => m.Value[0] + "…" + m.Value[^1]);
        s = Hex().Replace(s, "{hex}");
        s = Numbers().Replace(s, "{n}");
        s = Spaces().Replace(s, " ").Trim();
        return s.Length > 300 ? s[..300] + "…" : s;
    }

    public static int Replays(IDictionary<string, object?>? headers)
    {
        if (headers is null || !headers.TryGetValue(ReplaysHeader, out var v) || v is null) return 0;
        return v switch
        {
            int i => i,
            long l => (int)l,
            byte[] b when int.TryParse(Encoding.UTF8.GetString(b), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p,
            string str when int.TryParse(str, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p,
            _ => 0,
        };
    }

    private static string? Text(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var v) ? v switch
        {
            byte[] b => Encoding.UTF8.GetString(b),
            string s => s,
            null => null,
            _ => Convert.ToString(v, CultureInfo.InvariantCulture),
        } : null;

    private static string? Shown(string? value, int max) =>
        value is null ? null : value.Length > max ? value[..(max - 1)] + "…" : value;

    [GeneratedRegex(@"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")]
    private static partial Regex Guids();

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")]
    private static partial Regex Times();

    [GeneratedRegex(@"'[^']*'|""[^""]*""|“[^”]*”|「[^」]*」")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\b(0x)?[0-9a-fA-F]{12,}\b")]
    private static partial Regex Hex();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Numbers();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
