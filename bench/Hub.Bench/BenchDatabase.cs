using System.Diagnostics;
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

    internal static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Reads every page of the index's tables and their indexes once, so that the operating system holds them as it does
    /// on a server that has run for a while (what <c>pg_prewarm</c> does, which needs a superuser to install): the
    /// timed requests then measure the Hub, not the disk's first reads of a database generated minutes ago. <c>--cold</c> skips it.
    /// </summary>
    public static async Task PrewarmAsync(string cs)
    {
        var sw = Stopwatch.StartNew();
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        string[] tables = ["subjects", "subject_identifiers", "relations", "listings", "subject_merges"];
        foreach (var t in tables) await Exec(c, $"SELECT count(*) FROM {t}");
        var indexes = new List<(string Table, string Column, string? Predicate)>();
        await using (var read = new NpgsqlCommand("""
            SELECT t.relname, a.attname, pg_get_expr(x.indpred, x.indrelid)
            FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
            WHERE t.relname = ANY(@tables)
            """, c))
        {
            read.Parameters.AddWithValue("tables", tables);
            await using var r = await read.ExecuteReaderAsync();
            while (await r.ReadAsync()) indexes.Add((r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)));
        }
        // each index read whole in its order: no table scan, no sort, so the planner walks the index
        await Exec(c, "SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off");
        foreach (var (table, column, predicate) in indexes)
            await Exec(c, $"SELECT count(*) FROM (SELECT {column} FROM {table} WHERE {column} IS NOT NULL{(predicate is null ? "" : $" AND {predicate}")} ORDER BY {column}) x");
        await using var size = new NpgsqlCommand("SHOW shared_buffers", c);
        Console.WriteLine($"index: {tables.Length} tables and {indexes.Count} indexes read once, as a running server holds them ({sw.Elapsed.TotalSeconds:0} s; --cold skips it); " +
                          $"PostgreSQL shared_buffers {await size.ExecuteScalarAsync()} (HUB_PG_SHARED_BUFFERS=10GB bash deploy/local/start-services.sh sizes it)");
    }
}
