using System.Data.Common;
using System.Globalization;
using Dapper;

namespace Hub.Storage;

/// <summary>
/// The cross-province entity index over one database. Writers open an <see cref="IndexSession"/> (one transaction);
/// readers use the query methods here. The same class serves every dialect.
/// </summary>
public sealed class IndexDatabase
{
    private readonly ISqlDialect _dialect;
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly IndexSql _sql;

    public IndexDatabase(ISqlDialect dialect, string connectionString, TimeProvider time)
    {
        DapperSetup.EnsureConfigured();
        _dialect = dialect;
        _connectionString = connectionString;
        _time = time;
        _sql = new IndexSql(dialect);
    }

    public ISqlDialect Dialect => _dialect;
    public int SchemaVersion => _dialect.Migrations.Count;

    internal async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var c = _dialect.CreateConnection(_connectionString);
        await c.OpenAsync(ct);
        if (_dialect.ConnectionSetupSql is { } setup)
            await c.ExecuteAsync(new CommandDefinition(setup, cancellationToken: ct));
        return c;
    }

    /// <summary>Creates or upgrades the schema. Safe to call from several processes at once.</summary>
    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        if (_dialect.DatabaseSetupSql is { } setup)
            await c.ExecuteAsync(new CommandDefinition(setup, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition(_sql.SchemaVersionTable, cancellationToken: ct));
        while (true)
        {
            await using var tx = await c.BeginTransactionAsync(ct);
            if (_dialect.MigrationLockSql is { } lockSql)
                await c.ExecuteAsync(new CommandDefinition(lockSql, transaction: tx, cancellationToken: ct));
            var current = await c.ExecuteScalarAsync<int>(new CommandDefinition(_sql.CurrentVersion, transaction: tx, cancellationToken: ct));
            if (current < _dialect.Migrations.Count)
            {
                await c.ExecuteAsync(new CommandDefinition(_dialect.Migrations[current], transaction: tx, cancellationToken: ct));
                await c.ExecuteAsync(new CommandDefinition(_sql.RecordVersion,
                    new { Version = current + 1, AppliedAt = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) }, tx, cancellationToken: ct));
            }
            await tx.CommitAsync(ct);
            if (current >= _dialect.Migrations.Count) return;
        }
    }

    public async Task<IndexSession> BeginAsync(CancellationToken ct)
    {
        var c = await OpenAsync(ct);
        try
        {
            var tx = await c.BeginTransactionAsync(ct);
            if (_dialect.TransactionSetupSql is { } setup)
                await c.ExecuteAsync(new CommandDefinition(setup, transaction: tx, cancellationToken: ct));
            return new IndexSession(c, tx, _dialect, _sql);
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public async Task PingAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteScalarAsync<int>(new CommandDefinition(_sql.Ping, cancellationToken: ct));
    }

    /// <summary>A subject with its identifiers, listings, relations and the subjects on the other side of them,
    /// read over one connection; null when there is no such subject.</summary>
    public async Task<SubjectDetail?> SubjectDetailAsync(string id, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var subject = await c.QueryFirstOrDefaultAsync<SubjectRow>(new CommandDefinition(_sql.SubjectById, new { Id = id }, cancellationToken: ct));
        if (subject is null) return null;
        var args = new { Id = id };
        var identifiers = await QueryAsync<IdentifierRow>(c, _sql.IdentifiersOf, args, ct);
        var listings = await QueryAsync<ListingRow>(c, _sql.ListingsOf, args, ct);
        var relations = await QueryAsync<RelationRow>(c, _sql.RelationsOf, args, ct);
        var otherIds = relations.SelectMany(r => new[] { r.OrganizationId, r.PersonId }).Where(x => x != id).Distinct().ToArray();
        var related = otherIds.Length == 0 ? [] : await QueryAsync<SubjectRow>(c, _sql.SubjectsById, new { Ids = otherIds }, ct);
        return new SubjectDetail(subject, identifiers, listings, relations, related);
    }

    public async Task<string?> FindSubjectIdAsync(string scheme, string value, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QueryFirstOrDefaultAsync<string>(new CommandDefinition(_sql.SubjectIdByIdentifier, new { Scheme = scheme, Value = value }, cancellationToken: ct));
    }

    public Task<IReadOnlyList<ListingRow>> ListingsOfAsync(string subjectId, CancellationToken ct) =>
        QueryAsync<ListingRow>(_sql.ListingsOf, new { Id = subjectId }, ct);

    public Task<IReadOnlyList<RelationRow>> RelationsOfAsync(string subjectId, CancellationToken ct) =>
        QueryAsync<RelationRow>(_sql.RelationsOf, new { Id = subjectId }, ct);

    /// <summary>Listings issued directly (not imputed to a representative).</summary>
    public async Task<long> CountListingsAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(_sql.CountListings, cancellationToken: ct));
    }

    public Task<IReadOnlyList<QuarantineRow>> QuarantineAsync(string? agency, int limit, CancellationToken ct) =>
        agency is null
            ? QueryAsync<QuarantineRow>(_sql.QuarantineLatest, new { Limit = limit }, ct)
            : QueryAsync<QuarantineRow>(_sql.QuarantineOfAgency, new { Agency = agency, Limit = limit }, ct);

    /// <summary>The oldest pending outbound events, leaving out the ids and ordering keys given (parked by the relay).</summary>
    public Task<IReadOnlyList<OutboxRow>> PendingOutboxAsync(int limit, CancellationToken ct,
        IReadOnlyCollection<long>? skipIds = null, IReadOnlyCollection<string>? skipKeys = null) =>
        QueryAsync<OutboxRow>(_sql.PendingOutbox, new { Limit = limit, SkipIds = (skipIds ?? []).ToArray(), SkipKeys = (skipKeys ?? []).ToArray() }, ct);

    public async Task MarkPublishedAsync(IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(_sql.MarkPublished, new { Ids = ids.ToArray(), At = _time.GetUtcNow() }, cancellationToken: ct));
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object args, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await QueryAsync<T>(c, sql, args, ct);
    }

    private static async Task<IReadOnlyList<T>> QueryAsync<T>(DbConnection c, string sql, object args, CancellationToken ct) =>
        (await c.QueryAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct))).AsList();
}
