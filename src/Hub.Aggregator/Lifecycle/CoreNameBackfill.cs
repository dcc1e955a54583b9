using System.Runtime.CompilerServices;
using Hub.Domain.Resolution;
using Hub.Storage;
using Microsoft.Extensions.Logging;

namespace Hub.Aggregator.Lifecycle;

/// <summary>
/// Gives every organisation the index held before organisations carried their core name as a key (name search finds
/// them by it) that key: once after start, a thousand at a time, by one Hub process at a time (a lease). The core
/// name is computed in .NET (<see cref="OrganizationNames"/>), which a SQL migration cannot do.
/// </summary>
public sealed partial class CoreNameBackfill(IndexDatabase db, HubInstance instance, TimeProvider time, ILogger<CoreNameBackfill> log)
    : LeasedBackfill(db, instance, time)
{
    protected override string Lease => "core-name-backfill";

    protected override async IAsyncEnumerable<int> PagesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        int given;
        while ((given = await Db.BackfillCoreNamesAsync(OrganizationNames.Core, 1_000, ct)) > 0) yield return given;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gave {Count} organisations their core-name key for name search")]
    protected override partial void LogDone(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Giving organisations their core-name key failed; trying again in {DelaySeconds} s")]
    protected override partial void LogFailed(Exception ex, double delaySeconds);
}
