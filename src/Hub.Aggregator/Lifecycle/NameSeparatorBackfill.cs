using System.Runtime.CompilerServices;
using Hub.Domain.Identifiers;
using Hub.Storage;
using Microsoft.Extensions.Logging;

namespace Hub.Aggregator.Lifecycle;

/// <summary>
/// Stores again, in the normal form names have now (<see cref="NameNormalizer"/>: separator dots dropped, so that
/// 买买提·艾力, 买买提•艾力 and 买买提艾力 are one name), the normalised name and the name-with-birth-date key of every
/// subject stored before — the aggregator and name search look subjects up by them. Once after start, a thousand at a
/// time, by one Hub process at a time (a lease), reading an index of the subjects that still need it (none, once done):
/// a process of an earlier version still running beside this one during an upgrade may write a few more, which the
/// next start takes. Like <see cref="CoreNameBackfill"/>, in .NET, so that the form stored is exactly the one the Hub
/// computes (NFKC and upper case: SQLite has neither, PostgreSQL's do not promise .NET's results).
/// </summary>
public sealed partial class NameSeparatorBackfill(IndexDatabase db, HubInstance instance, TimeProvider time, ILogger<NameSeparatorBackfill> log)
    : LeasedBackfill(db, instance, time)
{
    protected override string Lease => "name-separator-backfill";

    protected override async IAsyncEnumerable<int> PagesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        string? after = null;
        while (true)
        {
            (var given, after) = await Db.BackfillNormalizedNamesAsync(NameNormalizer.Normalize, after, 1_000, ct);
            if (given == 0) yield break;
            yield return given;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored the names of {Count} subjects again without separator dots (and their name-and-birth-date keys)")]
    protected override partial void LogDone(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing subjects' names again without separator dots failed; trying again in {DelaySeconds} s")]
    protected override partial void LogFailed(Exception ex, double delaySeconds);
}
