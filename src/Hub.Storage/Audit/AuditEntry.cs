using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Hub.Storage.Audit;

/// <summary>
/// One thing that happened at a door of the Hub, as it is kept: who (principal, and the agency it acts for), what
/// (action, the scope it used or lacked, the subject it was about), how it ended (outcome) and through which door
/// (channel: <c>http</c>, <c>bus</c>). <see cref="Detail"/> is short and never holds a whole ID number.
/// </summary>
public sealed record AuditEntry(
    DateTimeOffset At,
    string Principal,
    string? AgencyCode,
    string Action,
    string? Scope,
    string? SubjectId,
    string Outcome,
    string? Detail,
    string Channel);

/// <summary>An entry as stored in the chain: its place (<see cref="Seq"/>, from 1 with no gaps) and hashes.</summary>
public sealed class AuditRow
{
    public long Seq { get; set; }
    public DateTimeOffset At { get; set; }
    public string Principal { get; set; } = "";
    public string? AgencyCode { get; set; }
    public string Action { get; set; } = "";
    public string? Scope { get; set; }
    public string? SubjectId { get; set; }
    public string Outcome { get; set; } = "";
    public string? Detail { get; set; }
    public string Channel { get; set; } = "";
    public string PrevHash { get; set; } = "";
    public string Hash { get; set; } = "";
}

/// <summary>The result of walking the chain: how many entries, the head, and the first entry that is not as written.</summary>
public sealed record AuditVerification(long Entries, long HeadSeq, string HeadHash, long? FirstBrokenSeq, string? Problem)
{
    public bool Intact => FirstBrokenSeq is null;
}

/// <summary>
/// The audit log's hash chain. Each entry's hash is SHA-256 over a canonical JSON array of its fields and the previous
/// entry's hash, so editing an entry breaks its own hash, and deleting one breaks the sequence (and the link) at the
/// next. Times are kept to the microsecond, the finest PostgreSQL stores, so an entry hashes the same after a round trip.
/// </summary>
public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Most characters of <see cref="AuditEntry.Detail"/> kept.</summary>
    public const int MaxDetail = 1_000;

    public static DateTimeOffset Truncate(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % 10, TimeSpan.Zero);
    }

    public static AuditRow Link(AuditEntry e, long seq, string prevHash)
    {
        var row = new AuditRow
        {
            Seq = seq, At = Truncate(e.At), Principal = Storable(e.Principal, 200)!, AgencyCode = Storable(e.AgencyCode, 200),
            Action = Storable(e.Action, 200)!, Scope = Storable(e.Scope, 200), SubjectId = Storable(e.SubjectId, 200),
            Outcome = Storable(e.Outcome, 200)!, Channel = Storable(e.Channel, 20)!, PrevHash = prevHash, Detail = Storable(e.Detail, MaxDetail),
        };
        row.Hash = HashOf(row);
        return row;
    }

    /// <summary>
    /// Text every database stores, at most <paramref name="max"/> characters: U+0000 and unpaired surrogates (which
    /// PostgreSQL refuses) become U+FFFD, and a cut never splits a surrogate pair. Details may quote what a caller sent.
    /// </summary>
    internal static string? Storable(string? value, int max)
    {
        if (value is null) return null;
        var text = new System.Text.StringBuilder(Math.Min(value.Length, max));
        for (var i = 0; i < value.Length && text.Length < max; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                if (text.Length + 2 > max) break;
                text.Append(c).Append(value[++i]);
            }
            else text.Append(c == '\0' || char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        if (text.Length < value.Length && text.Length == max) text.Length = max - 1;
        if (text.Length > 0 && char.IsHighSurrogate(text[^1])) text.Length--;
        return text.Length < value.Length ? text.Append('…').ToString() : text.ToString();
    }

    public static string HashOf(AuditRow r)
    {
        // written field by field (no reflection, no boxing): the aggregator hashes one entry per record it applies
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            json.WriteNumberValue(r.Seq);
            json.WriteStringValue(r.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteStringValue(r.Principal);
            json.WriteStringValue(r.AgencyCode);
            json.WriteStringValue(r.Action);
            json.WriteStringValue(r.Scope);
            json.WriteStringValue(r.SubjectId);
            json.WriteStringValue(r.Outcome);
            json.WriteStringValue(r.Detail);
            json.WriteStringValue(r.Channel);
            json.WriteStringValue(r.PrevHash);
            json.WriteEndArray();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>Checks one stored row against the one before it (null for the first); the problem, or null when it holds.</summary>
    public static string? Check(AuditRow row, AuditRow? previous)
    {
        var expectedSeq = (previous?.Seq ?? 0) + 1;
        if (row.Seq != expectedSeq)
            return row.Seq > expectedSeq
                ? $"{(row.Seq - 1 > expectedSeq ? $"entries {expectedSeq} to {row.Seq - 1} are" : $"entry {expectedSeq} is")} missing: entry {row.Seq} follows entry {expectedSeq - 1}"
                : $"entry {row.Seq} is out of sequence after entry {expectedSeq - 1}";
        if (row.PrevHash != (previous?.Hash ?? Genesis))
            return $"entry {row.Seq} does not link to entry {expectedSeq - 1} (its previous-hash differs)";
        if (HashOf(row) != row.Hash)
            return $"entry {row.Seq} was changed after it was written (its content does not match its hash)";
        return null;
    }
}
