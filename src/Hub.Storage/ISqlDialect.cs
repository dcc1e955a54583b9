using System.Data.Common;

namespace Hub.Storage;

/// <summary>What differs between databases: connections and DDL. Every other statement is shared (<see cref="IndexSql"/>),
/// with the same parameter objects, because both dialects speak <c>INSERT … ON CONFLICT DO NOTHING</c>.</summary>
public interface ISqlDialect
{
    string Name { get; }
    DbConnection CreateConnection(string connectionString);

    /// <summary>Ordered schema scripts; script i brings the schema to version i + 1.</summary>
    IReadOnlyList<string> Migrations { get; }

    /// <summary>Run first inside the migration transaction so two processes never migrate at once; null where the transaction already serialises.</summary>
    string? MigrationLockSql { get; }

    /// <summary>Run once per start, outside any transaction, before migrating (database-wide settings); null for none.</summary>
    string? DatabaseSetupSql { get; }

    /// <summary>Statements run once on every new connection (pragmas); null for none.</summary>
    string? ConnectionSetupSql { get; }

    /// <summary>Statements run first in every write transaction (<see cref="IndexDatabase.BeginAsync"/>), for
    /// settings scoped to it; null for none.</summary>
    string? TransactionSetupSql { get; }

    /// <summary>Run in a write transaction before it reads the audit chain's head and appends to it, so appends from
    /// several processes take turns; null where a write transaction already excludes other writers.</summary>
    string? AuditLockSql { get; }

    /// <summary>Predicate matching a column against a list parameter (pass arrays).</summary>
    string InList(string parameter);

    /// <summary>Predicate true when a column matches no value of a list parameter (an empty list matches nothing).</summary>
    string NotInList(string parameter);

    /// <summary>
    /// A read of the rows whose key column matches any value of a list parameter, probing the key's index once per
    /// value. <paramref name="query"/> is a SELECT whose WHERE clause has <c>{key}</c> right after the key column,
    /// e.g. <c>SELECT * FROM listings WHERE source_record_id {key} AND status = 'active'</c>.
    /// </summary>
    string ForEachKey(string parameter, string query);

    /// <summary>
    /// A one-row table <c>k</c> with the scalar <paramref name="expression"/> as column <c>id</c>, computed once however
    /// often the statement joins on <c>k.id</c>.
    /// </summary>
    string OneRow(string expression) => $"(SELECT {expression} AS id) k";

    /// <summary>
    /// Appended to a SELECT that takes rows to change in its transaction: locks them, and passes over rows another
    /// transaction holds, so that two processes working the same queue take different rows; empty where a write
    /// transaction already excludes other writers.
    /// </summary>
    string LockSkipLocked { get; }

    /// <summary>Most parameters one statement may carry; bulk inserts are chunked below it.</summary>
    int MaxParameters { get; }

    /// <summary>
    /// The connection string of the pool for the latency-bound paths a caller waits on (checks before granting and the
    /// audit append they wait for), where the server should parse and plan each statement once, not on every call; the
    /// same string where the driver already does that (SQLite keeps its statements prepared per connection).
    /// </summary>
    string PreparingConnectionString(string connectionString) => connectionString;

    /// <summary>
    /// Where the database takes one writer at a time (SQLite), the name of the file written — every write transaction of
    /// the process takes its turn at it (<see cref="WriteGate"/>) — and how long a writer waits for its turn; null where
    /// the database serves concurrent writers itself.
    /// </summary>
    (string Key, TimeSpan Timeout)? SingleWriter(string connectionString) => null;
}
