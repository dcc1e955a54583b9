using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
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
/// <item>SQLite: multi-row <c>INSERT … VALUES (…), (…)</c> in chunks below the parameter limit.</item>
/// </list>
/// The SQL text depends only on the table (and for SQLite the chunk size); every value travels as a parameter.
/// </summary>
internal sealed class BulkInsert<T>(string table, BulkColumn[] columns, Func<T, object?[]> values, string suffix = "")
{
    private const int MaxRowsPerStatement = 500;
    private readonly ConcurrentDictionary<int, string> _sqlByRows = new();
    private readonly string _unnestSql =
        $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) SELECT * FROM unnest({string.Join(", ", columns.Select((c, i) => $"@c{i}::{c.PgType}[]"))}){suffix}";

    public Task ExecuteAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<T> rows, int maxParameters, CancellationToken ct) =>
        rows.Count == 0 ? Task.CompletedTask
        : connection is NpgsqlConnection ? UnnestAsync(connection, transaction, rows, ct)
        : MultiRowAsync(connection, transaction, rows, maxParameters, ct);

    private async Task UnnestAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<T> rows, CancellationToken ct)
    {
        var arrays = columns.Select(c => Array.CreateInstance(c.ClrType, rows.Count)).ToArray();
        for (var r = 0; r < rows.Count; r++)
        {
            var v = values(rows[r]);
            for (var c = 0; c < columns.Length; c++) arrays[c].SetValue(v[c] is DateTimeOffset t ? t.ToUniversalTime() : v[c], r);
        }
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = _unnestSql;
        for (var c = 0; c < columns.Length; c++)
        {
            var p = command.CreateParameter();
            p.ParameterName = "c" + c;
            p.Value = arrays[c];
            command.Parameters.Add(p);
        }
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task MultiRowAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<T> rows, int maxParameters, CancellationToken ct)
    {
        var perChunk = Math.Max(1, Math.Min(MaxRowsPerStatement, maxParameters / columns.Length));
        for (var start = 0; start < rows.Count; start += perChunk)
        {
            var count = Math.Min(perChunk, rows.Count - start);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = _sqlByRows.GetOrAdd(count, BuildValues);
            for (var r = 0; r < count; r++)
            {
                var v = values(rows[start + r]);
                for (var c = 0; c < columns.Length; c++)
                {
                    var p = command.CreateParameter();
                    p.ParameterName = Name(r, c);
                    p.Value = v[c] switch { null => DBNull.Value, DateTimeOffset t => t.ToUniversalTime(), var x => x };
                    command.Parameters.Add(p);
                }
            }
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static string Name(int row, int column) => string.Create(null, stackalloc char[16], $"p{row}_{column}");

    private string BuildValues(int rows)
    {
        var sb = new StringBuilder("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns.Select(c => c.Name)).Append(") VALUES ");
        for (var r = 0; r < rows; r++)
        {
            if (r > 0) sb.Append(", ");
            sb.Append('(');
            for (var c = 0; c < columns.Length; c++) sb.Append(c == 0 ? "@" : ", @").Append(Name(r, c));
            sb.Append(')');
        }
        return sb.Append(suffix).ToString();
    }
}
