using System.Collections.Concurrent;

namespace Hub.Storage;

/// <summary>
/// Turns at writing one database file, for every writer in this process (<see cref="ISqlDialect.SingleWriter"/>): the
/// aggregator's batches, the outbox relay's marks, the audit trail, the heartbeat, leases and sweeps wait here, in
/// arrival order and without holding a thread, instead of in SQLite's busy handler — which sleeps on the thread, lets a
/// writer that comes back at once win over one that has waited for seconds, and gives up with <c>database is locked</c>
/// after its timeout (docs/BENCHMARKS.md, the embedded default).
/// </summary>
internal sealed class WriteGate
{
    private static readonly ConcurrentDictionary<string, WriteGate> ByKey = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly string _key;

    private WriteGate(string key) => _key = key;

    /// <summary>The gate of this file, shared by every <see cref="IndexDatabase"/> on it in this process.</summary>
    public static WriteGate For(string key) => ByKey.GetOrAdd(key, k => new WriteGate(k));

    /// <summary>Waits for this writer's turn (FIFO among waiters); disposing the turn hands it on. A turn not given within
    /// <paramref name="timeout"/> is a <see cref="TimeoutException"/>, which callers treat as transient, as they treated
    /// SQLite's own <c>database is locked</c> after its busy timeout.</summary>
    public async Task<IDisposable> EnterAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (!await _turn.WaitAsync(timeout, ct))
            throw new TimeoutException($"no turn to write {_key} within {timeout.TotalSeconds:0} s: another write transaction of this process held it all along");
        return new Turn(_turn);
    }

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) turn.Release();
        }
    }
}
