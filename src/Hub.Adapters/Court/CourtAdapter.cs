using System.Text.Json;
using Hub.Adapters.Publishing;
using Hub.Domain.Catalogue;
using Microsoft.Extensions.Logging;

namespace Hub.Adapters.Court;

/// <summary>The answer for one notice: <c>accepted</c> (the bus has it), <c>rejected</c> (unreadable; not sent) or
/// <c>failed</c> (readable but the bus could not be reached: send it again). <see cref="Position"/> counts from 1: the
/// n-th notice of an array, or the line of JSON lines. <see cref="SourceRecordId"/> is the notice's <c>id</c> as far as
/// it could be read.</summary>
public sealed record NoticeResult(int Position, string? SourceRecordId, string Status, string? Reason, IReadOnlyList<string> Warnings);

/// <summary>
/// The court adapter: reads notices, publishes the readable ones and answers per notice. Nothing is answered
/// "accepted" before the broker confirmed it.
/// </summary>
public sealed partial class CourtAdapter(CourtNoticeMapper mapper, HubPublisher publisher, AgencyRegistry agencies, ILogger<CourtAdapter> log)
{
    private const int Parallelism = 32;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public bool IsCourt(string agencyCode) => agencies.Find(agencyCode) is { Kind: "court" };

    public Task<IReadOnlyList<NoticeResult>> SubmitListingsAsync(string agencyCode, IReadOnlyList<BodyItem> items, CancellationToken ct) =>
        SubmitAsync<CourtNotice, Contracts.JudgmentDefaulterListed>(agencyCode, items, n => mapper.Map(n, agencyCode), m => m.Source.SourceRecordId, ct);

    public Task<IReadOnlyList<NoticeResult>> SubmitRemovalsAsync(string agencyCode, IReadOnlyList<BodyItem> items, CancellationToken ct) =>
        SubmitAsync<CourtRemovalNotice, Contracts.JudgmentDefaulterRemoved>(agencyCode, items, n => mapper.Map(n, agencyCode), m => m.Source.SourceRecordId, ct);

    public Task<IReadOnlyList<NoticeResult>> SubmitDisputesAsync(string agencyCode, IReadOnlyList<BodyItem> items, CancellationToken ct) =>
        SubmitAsync<CourtDisputeNotice, Contracts.ListingDisputed>(agencyCode, items, n => mapper.Map(n, agencyCode), m => m.Source.SourceRecordId, ct);

    public Task<IReadOnlyList<NoticeResult>> SubmitDisputeDecisionsAsync(string agencyCode, IReadOnlyList<BodyItem> items, CancellationToken ct) =>
        SubmitAsync<CourtDisputeDecision, Contracts.DisputeResolved>(agencyCode, items, n => mapper.Map(n, agencyCode), m => m.Source.SourceRecordId, ct);

    /// <summary>
    /// The bulk path: the same notices read and answered the same way, the readable ones published as
    /// <see cref="Contracts.JudgmentDefaulterListedBatch"/> messages of <see cref="BulkBatchSize"/> records (about 1 MB)
    /// in their order, a few at a time. A notice is accepted when the broker confirmed its batch, failed when it did not.
    /// </summary>
    public async Task<IReadOnlyList<NoticeResult>> SubmitListingsBulkAsync(string agencyCode, IReadOnlyList<BodyItem> items, CancellationToken ct)
    {
        var results = new NoticeResult[items.Count];
        var readable = new List<(int Index, string Id, Contracts.JudgmentDefaulterListed Message, IReadOnlyList<string> Warnings)>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var mapped = Read<CourtNotice, Contracts.JudgmentDefaulterListed>(agencyCode, items[i], n => mapper.Map(n, agencyCode), out var rejected);
            if (mapped is null) results[i] = rejected!;
            else readable.Add((i, mapped.Message!.Source.SourceRecordId, mapped.Message, mapped.Warnings));
        }
        using var gate = new SemaphoreSlim(BulkParallelism);
        await Task.WhenAll(readable.Chunk(BulkBatchSize).Select(PublishBatch));
        return results;

        async Task PublishBatch((int Index, string Id, Contracts.JudgmentDefaulterListed Message, IReadOnlyList<string> Warnings)[] chunk)
        {
            await gate.WaitAsync(ct);
            try
            {
                await publisher.PublishAsync(new Contracts.JudgmentDefaulterListedBatch { Records = chunk.Select(c => c.Message).ToList() }, agencyCode, ct);
                foreach (var c in chunk) results[c.Index] = new NoticeResult(items[c.Index].Position, c.Id, "accepted", null, c.Warnings);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogBatchPublishFailed(ex, agencyCode, chunk.Length, chunk[0].Id);
                foreach (var c in chunk)
                    results[c.Index] = new NoticeResult(items[c.Index].Position, c.Id, "failed", "the message broker did not confirm the batch holding the notice; send it again", c.Warnings);
            }
            finally { gate.Release(); }
        }
    }

    /// <summary>Records per batch message on the bulk path: about 1 MB of compact JSON (a listing is about 1.7 KB), and
    /// the aggregator's transaction size.</summary>
    public const int BulkBatchSize = 500;

    /// <summary>Batch messages of one request published at once (each waits for its confirm).</summary>
    private const int BulkParallelism = 4;

    /// <summary>One notice read and mapped; null, with the answer refusing it, when it cannot be.</summary>
    private Mapped<TEvent>? Read<TNotice, TEvent>(string agencyCode, BodyItem item, Func<TNotice, Mapped<TEvent>> map, out NoticeResult? rejected)
        where TNotice : class where TEvent : class
    {
        rejected = null;
        if (item.Error is not null || item.Json is null)
        {
            rejected = Rejected(item.Position, null, item.Error ?? "empty");
            return null;
        }
        TNotice? notice;
        try { notice = item.Json.Value.Deserialize<TNotice>(Json); }
        catch (JsonException ex)
        {
            // the serializer's message names .NET types; the court needs the field and what it should hold
            rejected = Rejected(item.Position, item.SourceRecordId,
                $"{(ex.Path is { Length: > 2 } path ? path[2..] : "a field")}: the value is of the wrong kind (text where the court's field holds text, a number or text for amounts and dates)");
            return null;
        }
        var mapped = notice is null ? Mapped<TEvent>.Fail("empty notice") : map(notice);
        if (mapped.Message is null)
        {
            rejected = Rejected(item.Position, item.SourceRecordId, mapped.Error!);
            LogUnreadable(agencyCode, item.Position, mapped.Error!);
            return null;
        }
        return mapped;
    }

    private async Task<IReadOnlyList<NoticeResult>> SubmitAsync<TNotice, TEvent>(string agencyCode, IReadOnlyList<BodyItem> items,
        Func<TNotice, Mapped<TEvent>> map, Func<TEvent, string> sourceId, CancellationToken ct)
        where TNotice : class where TEvent : class
    {
        var results = new NoticeResult[items.Count];
        using var gate = new SemaphoreSlim(Parallelism);
        var tasks = new List<Task>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var index = i;
            var item = items[i];
            var mapped = Read(agencyCode, item, map, out var rejected);
            if (mapped is null)
            {
                results[i] = rejected!;
                continue;
            }
            var id = sourceId(mapped.Message!);
            tasks.Add(PublishOne());

            async Task PublishOne()
            {
                await gate.WaitAsync(ct);
                try
                {
                    await publisher.PublishAsync(mapped.Message!, agencyCode, ct);
                    results[index] = new NoticeResult(item.Position, id, "accepted", null, mapped.Warnings);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogPublishFailed(ex, agencyCode, id);
                    results[index] = new NoticeResult(item.Position, id, "failed", "the message broker did not confirm the notice; send it again", mapped.Warnings);
                }
                finally { gate.Release(); }
            }
        }
        await Task.WhenAll(tasks);
        return results;
    }

    private static NoticeResult Rejected(int position, string? id, string reason) => new(position, id, "rejected", reason, []);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Court notice {Position} from {AgencyCode} unreadable: {Reason}")]
    private partial void LogUnreadable(string agencyCode, int position, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Publishing a batch of {Count} notices from {AgencyCode} (the first {SourceRecordId}) failed after retries")]
    private partial void LogBatchPublishFailed(Exception ex, string agencyCode, int count, string sourceRecordId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Publishing notice {SourceRecordId} from {AgencyCode} failed after retries")]
    private partial void LogPublishFailed(Exception ex, string agencyCode, string sourceRecordId);
}
