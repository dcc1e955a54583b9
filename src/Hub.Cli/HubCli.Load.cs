using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Hub.Cli;

/// <summary>
/// <c>hub load FILE --agency CODE</c>: a large file of court notices (JSON lines) through the court adapter's bulk door,
/// in chunks, streamed — the file is read a chunk at a time, so memory does not grow with it. After each chunk the Hub
/// confirmed (its answer: every notice accepted by the broker or refused at the door), the resume state
/// <c>FILE.hubload</c> records how far the file is done, and the door's refusals are appended to <c>FILE.rejects</c>;
/// run the same command again after an interruption and it goes on after the last confirmed chunk. The one chunk in
/// doubt (sent, not answered) is sent again: the Hub drops what it had already applied of it by (agency, source record
/// id, revision).
/// </summary>
public static partial class HubCli
{
    /// <summary>Notices per request: the bulk door's limit.</summary>
    public const int LoadChunkNotices = 5_000;

    /// <summary>Bytes per request, under the door's 10 MB.</summary>
    public const int LoadChunkBytes = 8 * 1024 * 1024;

    private const int LoadAttempts = 4;

    /// <summary>The resume state beside the file. <see cref="Offset"/> and <see cref="Line"/>: where the first notice not yet
    /// confirmed starts; <see cref="RejectsLength"/>: the length of <c>FILE.rejects</c> at that point.</summary>
    internal sealed record LoadState(string Agency, long FileLength, long Offset, long Line, long Accepted, long Rejected, long RejectsLength,
        DateTimeOffset StartedAt, bool Completed);

    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static async Task<int> LoadAsync(string file, Dictionary<string, string?> o, TextWriter stdout, TextWriter stderr, HttpClient? http, CancellationToken ct)
    {
        var agency = o.GetValueOrDefault("agency") ?? throw new ArgumentException("load needs --agency CODE");
        var chunkNotices = o.GetValueOrDefault("chunk") is { } c
            ? int.TryParse(c, out var n) && n is >= 1 and <= LoadChunkNotices ? n : throw new ArgumentException($"--chunk takes 1 to {LoadChunkNotices:N0} notices")
            : LoadChunkNotices;
        if (!File.Exists(file)) { await stderr.WriteLineAsync($"hub: no file {file}"); return 2; }
        var statePath = file + ".hubload";
        var rejectsPath = file + ".rejects";
        var length = new FileInfo(file).Length;

        var state = File.Exists(statePath) && !o.ContainsKey("restart") ? JsonSerializer.Deserialize<LoadState>(await File.ReadAllTextAsync(statePath, ct), StateJson) : null;
        if (state is not null)
        {
            if (!string.Equals(state.Agency, agency, StringComparison.OrdinalIgnoreCase) || state.FileLength != length)
            {
                await stderr.WriteLineAsync($"hub: {statePath} is of another load ({state.Agency}, a file of {state.FileLength:N0} bytes): " +
                                            "--restart starts this one from the beginning");
                return 2;
            }
            if (state.Completed)
            {
                await stdout.WriteLineAsync($"{file} was loaded completely ({state.Accepted:N0} accepted, {state.Rejected:N0} refused at the door; {rejectsPath}); --restart sends it again");
                return state.Rejected > 0 ? 1 : 0;
            }
            await stderr.WriteLineAsync($"hub: resuming {file} at line {state.Line + 1:N0} ({state.Accepted + state.Rejected:N0} notices confirmed before)");
        }
        state ??= new LoadState(agency, length, 0, 0, 0, 0, 0, TimeProvider.System.GetUtcNow(), false);
        await using (var rejects = new FileStream(rejectsPath, FileMode.OpenOrCreate, FileAccess.Write))
            rejects.SetLength(state.RejectsLength);                                // what the last confirmed chunk left there

        using var client = http is null ? Client(o) : null;
        var hub = http ?? client!;
        var path = $"api/adapters/court/{Uri.EscapeDataString(agency)}/notices/bulk";
        var progress = new LoadProgress(stderr, length, state.Offset, state.Accepted + state.Rejected);

        await using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (state.Offset == 0 && FirstByte(input) == '[')
        {
            await stderr.WriteLineAsync($"hub: {file} is a JSON array; load takes JSON lines (one notice a line: `jq -c '.[]' {file}`), " +
                                        "`hub ingest` takes an array of up to 5,000");
            return 2;
        }
        input.Seek(state.Offset, SeekOrigin.Begin);
        var reader = new LineReader(input, state.Offset, state.Line);
        var body = new MemoryStream();
        var lines = new List<long>(chunkNotices);
        while (true)
        {
            body.SetLength(0);
            lines.Clear();
            // one chunk: up to chunkNotices non-blank lines and LoadChunkBytes bytes (a line alone may be longer: the door refuses it)
            while (lines.Count < chunkNotices && reader.Peek(out var line, out var number))
            {
                if (lines.Count > 0 && body.Length + line.Length + 1 > LoadChunkBytes) break;
                reader.Take();
                if (IsBlank(line.Span)) continue;
                body.Write(line.Span);
                body.WriteByte((byte)'\n');
                lines.Add(number);
            }
            if (lines.Count == 0 && !reader.More)
            {
                state = state with { Offset = reader.Offset, Line = reader.Line, Completed = true };
                await SaveAsync(statePath, state, ct);
                break;
            }
            if (lines.Count == 0) continue;

            var answer = await SendChunkAsync(hub, path, body, lines.Count, stderr, ct);
            if (answer.Code != 0)
            {
                progress.Done();
                await stderr.WriteLineAsync($"hub: stopped at line {lines[0]:N0}; what the Hub confirmed is recorded in {statePath}: " +
                                            "run the same command again to resume");
                return answer.Code;
            }
            var refused = new StringBuilder();
            foreach (var r in answer.Refused)
                refused.Append(lines[r.Position - 1]).Append('\t').Append(r.Id ?? "-").Append('\t').Append(r.Reason).Append('\n');
            long rejectsLength;
            await using (var rejects = new FileStream(rejectsPath, FileMode.Append, FileAccess.Write))
            {
                await rejects.WriteAsync(Encoding.UTF8.GetBytes(refused.ToString()), ct);
                await rejects.FlushAsync(ct);
                rejectsLength = rejects.Length;
            }
            state = state with
            {
                Offset = reader.Offset, Line = reader.Line, Accepted = state.Accepted + answer.Accepted, Rejected = state.Rejected + answer.Refused.Count,
                RejectsLength = rejectsLength,
            };
            await SaveAsync(statePath, state, ct);
            progress.Report(reader.Offset, state.Accepted + state.Rejected);
        }
        progress.Done();
        await stdout.WriteLineAsync($"{state.Accepted:N0} accepted, {state.Rejected:N0} refused at the door ({progress.Summary})");
        if (state.Rejected > 0)
        {
            await stdout.WriteLineAsync($"refused at the door (line, id, reason), all in {rejectsPath}:");
            using var shown = new StreamReader(rejectsPath);
            for (var i = 0; i < 20 && await shown.ReadLineAsync(ct) is { } l; i++) await stdout.WriteLineAsync("  " + l);
            if (state.Rejected > 20) await stdout.WriteLineAsync($"  … {state.Rejected - 20:N0} more");
        }
        await stdout.WriteLineAsync(
            "accepted is not yet applied: a notice that breaks a rule (a wrong check character, an unknown legal basis) is quarantined by the " +
            $"aggregator and answered by a RecordRejected event on {agency}'s subscriber queue; an operator lists them with " +
            $"`hub quarantine list --agency {agency}` (received since {state.StartedAt:yyyy-MM-dd HH:mm:ss}Z)");
        if (o.GetValueOrDefault("operator-key") is { Length: > 0 } operatorKey)
            await QuarantinedSinceAsync(hub, operatorKey, agency, state.StartedAt, stdout, stderr, ct);
        return state.Rejected > 0 ? 1 : 0;
    }

    /// <summary>With an operator's key: the records of the agency the aggregator quarantined since the load began, as far
    /// as it has applied them by now (the newest 1,000 the quarantine API gives).</summary>
    private static async Task QuarantinedSinceAsync(HttpClient hub, string operatorKey, string agency, DateTimeOffset since, TextWriter stdout, TextWriter stderr,
        CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/operator/quarantine?agency={Uri.EscapeDataString(agency)}&limit=1000");
        request.Headers.Remove("X-Api-Key");
        request.Headers.Add("X-Api-Key", operatorKey);
        using var response = await hub.SendAsync(request, ct);
        var (body, _) = await ReadAsync(response, stderr, ct);
        if (body is null) return;
        var rows = JsonDocument.Parse(body).RootElement.EnumerateArray()
            .Where(q => q.GetProperty("receivedAt").GetDateTimeOffset() >= since).ToList();
        await stdout.WriteLineAsync($"quarantined by the aggregator so far (since the load began; it may still be applying): {rows.Count:N0}" +
                                    (rows.Count == 1_000 ? " or more" : ""));
        foreach (var q in rows)
            await stdout.WriteLineAsync($"  {q.GetProperty("sourceRecordId").GetString()}\trevision {q.GetProperty("revision")}\t" +
                                        $"{q.GetProperty("reasonCode").GetString()}\t{q.GetProperty("reason").GetString()}");
    }

    private sealed record ChunkAnswer(int Code, int Accepted, IReadOnlyList<(int Position, string? Id, string Reason)> Refused);

    /// <summary>Sends one chunk until the Hub answers for every notice of it: a chunk the Hub did not answer, or answered with
    /// some notices failed, is sent again whole (what it took before are duplicates to it), up to <see cref="LoadAttempts"/>
    /// times with back-off. Code 0 with the answer; otherwise the exit code.</summary>
    private static async Task<ChunkAnswer> SendChunkAsync(HttpClient hub, string path, MemoryStream body, int count, TextWriter stderr, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            string? problem;
            try
            {
                using var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson") { CharSet = "utf-8" };
                using var response = await hub.PostAsync(path, content, ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.UnprocessableEntity or HttpStatusCode.ServiceUnavailable &&
                    TryResults(text, out var accepted, out var refused, out var failed))
                {
                    if (failed == 0) return new ChunkAnswer(0, accepted, refused);
                    problem = $"the bus did not take {failed:N0} of {count:N0} notices";
                }
                else if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout)
                    problem = $"{(int)response.StatusCode} {Error(text)}";
                else
                {
                    await stderr.WriteLineAsync($"hub: {(int)response.StatusCode} {Error(text)}");
                    return new ChunkAnswer(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? 3 : 1, 0, []);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || ex is TaskCanceledException && !ct.IsCancellationRequested)
            {
                problem = ex.Message;
            }
            if (attempt == LoadAttempts)
            {
                await stderr.WriteLineAsync($"hub: the Hub did not take a chunk of {count:N0} notices after {attempt} attempts: {problem}");
                return new ChunkAnswer(3, 0, []);
            }
            await stderr.WriteLineAsync($"hub: {problem}; sending the chunk again");
            await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt - 1)), ct);
        }
    }

    private static bool TryResults(string text, out int accepted, out List<(int Position, string? Id, string Reason)> refused, out int failed)
    {
        accepted = failed = 0;
        refused = [];
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (!doc.RootElement.TryGetProperty("results", out var results)) return false;
            foreach (var r in results.EnumerateArray())
                switch (r.GetProperty("status").GetString())
                {
                    case "accepted": accepted++; break;
                    case "rejected":
                        refused.Add((r.GetProperty("position").GetInt32(), r.TryGetProperty("sourceRecordId", out var id) ? id.GetString() : null,
                            r.GetProperty("reason").GetString() ?? ""));
                        break;
                    default: failed++; break;
                }
            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException) { return false; }
    }

    private static async Task SaveAsync(string path, LoadState state, CancellationToken ct)
    {
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(state, StateJson), ct);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The first byte that is no whitespace or byte-order mark, or -1.</summary>
    private static int FirstByte(Stream input)
    {
        int b;
        while ((b = input.ReadByte()) is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF) { }
        return b;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    /// <summary>Lines of a file as bytes, with the byte offset and number of the line after the last one taken.</summary>
    private sealed class LineReader(Stream input, long offset, long line)
    {
        private byte[] _buffer = new byte[1 << 16];
        private int _start, _end;
        private bool _eof;
        private int _lineLength = -1, _next;

        public long Offset { get; private set; } = offset;
        public long Line { get; private set; } = line;
        public bool More => _start < _end || !_eof;

        /// <summary>The next line (without its newline) and its number from 1, not yet taken.</summary>
        public bool Peek(out ReadOnlyMemory<byte> text, out long number)
        {
            number = Line + 1;
            if (_lineLength < 0 && !Find()) { text = default; return false; }
            text = _buffer.AsMemory(_start, _lineLength);
            return true;
        }

        public void Take()
        {
            Offset += _next - _start;
            Line++;
            _start = _next;
            _lineLength = -1;
        }

        private bool Find()
        {
            while (true)
            {
                var at = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (at >= 0) { (_lineLength, _next) = (at - _start, at + 1); return true; }
                if (_eof)
                {
                    if (_start == _end) return false;
                    (_lineLength, _next) = (_end - _start, _end);
                    return true;
                }
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    (_end, _start) = (_end - _start, 0);
                }
                if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);   // a line longer than the buffer
                var read = input.Read(_buffer, _end, _buffer.Length - _end);
                if (read == 0) _eof = true;
                _end += read;
            }
        }
    }

    /// <summary>The progress bar on standard error: bytes of the file done, notices per second, time left. On a terminal it
    /// redraws one line; redirected, it writes a line every few seconds.</summary>
    private sealed class LoadProgress(TextWriter stderr, long length, long startOffset, long startRecords)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly bool _terminal = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        private TimeSpan? _lastLine;
        private readonly long _startRecords = startRecords;
        private long _records = startRecords;

        public string Summary => $"this run {_clock.Elapsed:hh\\:mm\\:ss}, {Rate:N0} notices/s";

        private double Rate => (_records - _startRecords) / Math.Max(_clock.Elapsed.TotalSeconds, 0.001);

        public void Report(long offset, long records)
        {
            _records = records;
            var done = length == 0 ? 1 : (double)offset / length;
            var bytesRate = (offset - startOffset) / Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
            var eta = bytesRate > 0 ? TimeSpan.FromSeconds((length - offset) / bytesRate) : TimeSpan.Zero;
            const int width = 30;
            var filled = (int)Math.Round(done * width);
            var text = $"[{new string('#', filled)}{new string('.', width - filled)}] {done,6:P1}  {records:N0} notices  {Rate:N0}/s  ETA {eta:hh\\:mm\\:ss}";
            if (_terminal) stderr.Write("\r" + text);
            else if (_lastLine is not { } last || _clock.Elapsed - last >= TimeSpan.FromSeconds(5) || offset == length)
            {
                stderr.WriteLine(text);
                _lastLine = _clock.Elapsed;
            }
        }

        public void Done()
        {
            if (_terminal) stderr.WriteLine();
        }
    }
}
