using Hub.Storage;
using Hub.Storage.Postgres;
using Hub.Storage.Sqlite;

namespace Hub.Testing;

/// <summary>A database an index test runs against: one fixture class runs once per implementation.</summary>
public interface IIndexTarget : IAsyncDisposable
{
    Task<IndexDatabase> CreateAsync(TimeProvider time);
}

public sealed class SqliteTarget : IIndexTarget
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-test-{Guid.NewGuid():N}.db");

    public Task<IndexDatabase> CreateAsync(TimeProvider time) =>
        Task.FromResult(new IndexDatabase(new SqliteDialect(), $"Data Source={_file};Pooling=False", time));

    public ValueTask DisposeAsync()
    {
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" })
            if (File.Exists(f)) File.Delete(f);
        return ValueTask.CompletedTask;
    }
}

public sealed class PostgresTarget : IIndexTarget
{
    private PostgresTestDatabase? _db;

    public async Task<IndexDatabase> CreateAsync(TimeProvider time)
    {
        _db = await PostgresTestDatabase.CreateAsync();
        return new IndexDatabase(new PostgresDialect(), _db.ConnectionString, time);
    }

    public async ValueTask DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
    }
}
