using System.Threading.Channels;
using Hub.Aggregator.Consumers;
using Hub.Storage;
using RabbitMQ.Client;

namespace Hub.Host.OperatorConsole;

/// <summary>
/// The console's index of the error queues (<c>failed_messages</c>), so that the grouped view of a queue holding
/// 100,000 messages is one <c>GROUP BY</c> instead of a read of the queue. Fed where messages enter an error queue —
/// the aggregator's move (<see cref="VouchedPublisher.MoveAsTheHub"/>) on each of its worked queues
/// (<see cref="Hub.Aggregator.AggregatorOptions.WorkedQueues"/>) tells it of each once the broker has the copy —
/// in batches from a background loop, and emptied where they leave — the console's replay and discard. The view trusts
/// it only while it counts exactly what the broker says the queue holds; otherwise (messages from before the index, a
/// batch the database did not take, a purge by other means) the view reads the queue as before, and a read of the
/// whole queue replaces the index. A failure here never touches the move: the message is in the error queue either way.
/// </summary>
public sealed partial class FailedIndex(IndexDatabase db, AuditPublishers hub, TimeProvider time, ILogger<FailedIndex> log) : BackgroundService
{
    private readonly Channel<FailedMessageRow> _moved = Channel.CreateBounded<FailedMessageRow>(new BoundedChannelOptions(100_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true,
    });

    /// <summary>A message moved to <paramref name="queue"/>; indexed shortly (or, when far behind, left to the next whole read).</summary>
    public Task MovedAsync(string queue, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        _moved.Writer.TryWrite(Row(FailedMessages.Read(queue, properties, body.Span, hub), time.GetUtcNow()));
        return Task.CompletedTask;
    }

    public static FailedMessageRow Row(FailedMessage m, DateTimeOffset at) => new()
    {
        Queue = m.Queue, MessageId = m.Id, GroupId = m.GroupId, MessageType = m.MessageType, ExceptionType = m.ExceptionType, Cause = m.Cause,
        Reason = m.Reason, AgencyCode = m.AgencyCode, PublisherUser = m.PublisherUser, SourceRecordId = m.SourceRecordId, Revision = m.Revision,
        FailedAt = m.FailedAt, Replays = m.Replays, IndexedAt = at, Records = m.Records,
    };

    public static FailedMessage Message(FailedMessageRow r) => new(r.MessageId, r.Queue, r.MessageType, r.ExceptionType, r.Reason, r.AgencyCode,
        r.PublisherUser, r.SourceRecordId, r.Revision, r.FailedAt, r.Replays, r.GroupId, r.Cause, r.Records);

    /// <summary>Waits until what was moved so far is written (tests and the benchmark).</summary>
    public async Task FlushedAsync(CancellationToken ct)
    {
        while (_moved.Reader.Count > 0 || Volatile.Read(ref _writing) > 0) await Task.Delay(20, ct);
    }

    private int _writing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<FailedMessageRow>(2_000);
        try
        {
            while (await _moved.Reader.WaitToReadAsync(stoppingToken))
            {
                Interlocked.Increment(ref _writing);
                try
                {
                    while (batch.Count < 2_000 && _moved.Reader.TryRead(out var row)) batch.Add(row);
                    await db.IndexFailedAsync(batch, stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogIndexFailed(ex, batch.Count);  // the view will not trust the index until a whole read replaces it
                }
                finally
                {
                    batch.Clear();
                    Interlocked.Decrement(ref _writing);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} failed messages could not be indexed; the console reads the error queue until a whole read re-indexes it")]
    private partial void LogIndexFailed(Exception ex, int count);
}
