using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using Dapper;

namespace Hub.Storage;

/// <summary>
/// Multi-row <c>INSERT … VALUES (…), (…)</c>: one round trip per chunk instead of one per row.
/// The SQL text depends only on the table and the number of rows; every value travels as a parameter.
/// </summary>
internal sealed class BulkInsert<T>(string table, string[] columns, Func<T, object?[]> values, string suffix = "")
{
    private readonly ConcurrentDictionary<int, string> _sqlByRows = new();

    public async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<T> rows, int maxParameters, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        var perChunk = Math.Max(1, Math.Min(500, maxParameters / columns.Length));
        for (var start = 0; start < rows.Count; start += perChunk)
        {
            var count = Math.Min(perChunk, rows.Count - start);
            var parameters = new DynamicParameters();
            for (var r = 0; r < count; r++)
            {
                var v = values(rows[start + r]);
                for (var c = 0; c < columns.Length; c++) parameters.Add($"p{r}_{c}", v[c]);
            }
            var sql = _sqlByRows.GetOrAdd(count, Build);
            await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct));
        }
    }

    private string Build(int rows)
    {
        var sb = new StringBuilder("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns).Append(") VALUES ");
        for (var r = 0; r < rows; r++)
        {
            if (r > 0) sb.Append(", ");
            sb.Append('(');
            for (var c = 0; c < columns.Length; c++) sb.Append(c == 0 ? "" : ", ").Append("@p").Append(r).Append('_').Append(c);
            sb.Append(')');
        }
        return sb.Append(suffix).ToString();
    }
}
