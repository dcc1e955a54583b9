using System.Data.Common;
using System.Globalization;
using Npgsql;

namespace Hub.Storage;

/// <summary>A column of a bulk insert: its name, its PostgreSQL type, and the CLR type of its values.</summary>
internal sealed record BulkColumn(string Name, string PgType, Type ClrType);

/// <summary>
/// The bulk path each dialect does best, over plain ADO.NET (Dapper inspects the SQL text once per parameter,
/// which turns thousands of parameters into seconds):
/// <list type="bullet">
/// <item>PostgreSQL: one array parameter per column, <c>INSERT … SELECT * FROM unnest(@c0::text[], …)</c> — one short
/// statement per table whatever the row count, values sent in binary.</item>
/// <item>SQLite: one single-row <c>INSERT … VALUES (@c0, …)</c>, prepared once and executed for each row with its
/// values — what Microsoft.Data.Sqlite recommends, as SQLite runs in the process and a statement costs no round trip.
/// Not multi-row statements: Microsoft.Data.Sqlite finds each parameter by name with a scan of the statement's
/// parameters (four, for a name without its <c>@</c>), so binding one statement of P parameters costs in P², and 500
/// rows of 12 columns took over a second — the aggregator's write transaction held the file for 6 s a batch
/// (docs/BENCHMARKS.md, the embedded default).</item>
/// </list>
/// The SQL text depends only on the table; every value travels as a parameter.
/// </summary>
internal sealed class BulkInsert<T>(string table, BulkColumn[] columns, Func<T, object?[]> values, string suffix = "")
{
    private readonly string _rowSql =
        $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@c{i}"))}){suffix}";
    private readonly string _unnestSql =
        $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) SELECT * FROM unnest({string.Join(", ", columns.Select((c, i) => $"@c{i}::{c.PgType}[]"))}){suffix}";

    public Task ExecuteAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<T> rows, CancellationToken ct) =>
        rows.Count == 0 ? Task.CompletedTask
        : connection is NpgsqlConnection ? UnnestAsync(connection, transaction, rows, ct)
        : RowByRowAsync(connection, transaction, rows, ct);

    private async Task UnnestAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<T> rows, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = _unnestSql;
        foreach (var (name, array) in Arrays(rows))
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = array;
            command.Parameters.Add(p);
        }
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>PostgreSQL: the unnest insert as a command of <paramref name="batch"/>, writing only if
    /// <paramref name="condition"/> (SQL over further parameters, which the caller adds) holds.</summary>
    public DbBatchCommand UnnestCommand(DbBatch batch, IReadOnlyList<T> rows, string condition)
    {
        var command = batch.CreateBatchCommand();
        command.CommandText = $"{_unnestSql} WHERE {condition}";
        foreach (var (name, array) in Arrays(rows))
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = array;
            command.Parameters.Add(p);
        }
        return command;
    }

    /// <summary>One array per column, as the unnest statement's parameters c0, c1, …</summary>
    private IEnumerable<(string Name, Array Values)> Arrays(IReadOnlyList<T> rows)
    {
        var arrays = columns.Select(c => Array.CreateInstance(c.ClrType, rows.Count)).ToArray();
        for (var r = 0; r < rows.Count; r++)
        {
            var v = values(rows[r]);
            for (var c = 0; c < columns.Length; c++) arrays[c].SetValue(v[c] is DateTimeOffset t ? t.ToUniversalTime() : v[c], r);
        }
        return arrays.Select((a, c) => ("c" + c.ToString(CultureInfo.InvariantCulture), a));
    }

    private async Task RowByRowAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<T> rows, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = _rowSql;
        var parameters = new DbParameter[columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            parameters[c] = command.CreateParameter();
            parameters[c].ParameterName = "@c" + c.ToString(CultureInfo.InvariantCulture);
            command.Parameters.Add(parameters[c]);
        }
        foreach (var row in rows)
        {
            var v = values(row);
            for (var c = 0; c < columns.Length; c++)
                parameters[c].Value = v[c] switch { null => DBNull.Value, DateTimeOffset t => t.ToUniversalTime(), var x => x };
            // compiled at the first execution, reused by the next ones
            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
