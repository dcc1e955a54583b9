using Hub.Storage;
using Hub.Storage.Postgres;
using Hub.Storage.Sqlite;

namespace Hub.Testing;

/// <summary>A database an index test runs against: one fixture class runs once per implementation.</summary>
public interface IIndexTarget : IAsyncDisposable
{
    Task<IndexDatabase> CreateAsync(TimeProvider time);

    /// <summary>Runs test set-up SQL on the database (after <see cref="CreateAsync"/>): the statement for this dialect.</summary>
    Task ExecuteAsync(string sqlite, string postgres);
}

public sealed class SqliteTarget : IIndexTarget
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-test-{Guid.NewGuid():N}.db");

    private string ConnectionString => $"Data Source={_file};Pooling=False";

    public Task<IndexDatabase> CreateAsync(TimeProvider time) =>
        Task.FromResult(new IndexDatabase(new SqliteDialect(), ConnectionString, time));

    public Task ExecuteAsync(string sqlite, string postgres) => IndexTargetSql.ExecuteAsync(new SqliteDialect(), ConnectionString, sqlite);

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

    public Task ExecuteAsync(string sqlite, string postgres) =>
        IndexTargetSql.ExecuteAsync(new PostgresDialect(), (_db ?? throw new InvalidOperationException("CreateAsync first")).ConnectionString, postgres);

    public async ValueTask DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
    }
}

internal static class IndexTargetSql
{
    public static async Task ExecuteAsync(ISqlDialect dialect, string connectionString, string sql)
    {
        await using var c = dialect.CreateConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }
}
