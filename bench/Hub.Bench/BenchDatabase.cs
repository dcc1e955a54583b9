using Hub.Testing;
using Npgsql;

namespace Hub.Bench;

/// <summary>
/// A benchmark's own PostgreSQL database, generated once and reused: a marker table says what it holds. Reused while the
/// marker says what the run wants (and <c>--reload</c> was not given); otherwise dropped and created empty, with JIT off
/// as <c>deploy/postgres/create-database.sql</c> sets it on the Hub's role, for the caller to migrate, load and mark.
/// </summary>
internal static class BenchDatabase
{
    public static async Task<(string ConnectionString, bool Reused)> OpenAsync(string name, string markerTable, string wanted, bool reload)
    {
        var cs = new NpgsqlConnectionStringBuilder(TestServers.PostgresAdmin) { Database = name, CommandTimeout = 0 }.ConnectionString;
        await using var admin = new NpgsqlConnection(TestServers.PostgresAdmin);
        await admin.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", admin);
        exists.Parameters.AddWithValue("n", name);
        if (await exists.ExecuteScalarAsync() is not null)
        {
            if (!reload && await MarkerAsync(cs, markerTable) == wanted) return (cs, true);
            NpgsqlConnection.ClearAllPools();
            await Exec(admin, $"DROP DATABASE {name} WITH (FORCE)");
        }
        await Exec(admin, $"CREATE DATABASE {name}");
        // the Hub's statements are short: JIT is all cost
        await Exec(admin, $"ALTER DATABASE {name} SET jit = off");
        return (cs, false);
    }

    /// <summary>Says the database now holds <paramref name="value"/>: the last step of a complete load.</summary>
    public static async Task MarkAsync(string cs, string markerTable, string value)
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var mark = new NpgsqlCommand($"CREATE TABLE {markerTable} (holds text NOT NULL); INSERT INTO {markerTable} VALUES (@v)", c);
        mark.Parameters.AddWithValue("v", value);
        await mark.ExecuteNonQueryAsync();
    }

    private static async Task<string?> MarkerAsync(string cs, string markerTable)
    {
        try
        {
            await using var c = new NpgsqlConnection(cs);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"SELECT * FROM {markerTable}", c);
            return (await cmd.ExecuteScalarAsync())?.ToString();
        }
        catch (PostgresException)
        {
            return null; // no marker: not (completely) loaded
        }
    }

    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync();
    }
}
