using System.Data.Common;
using System.Globalization;
using Dapper;
using Hub.Storage.Audit;

namespace Hub.Storage;

/// <summary>
/// The cross-province entity index over one database. Writers open an <see cref="IndexSession"/> (one transaction);
/// readers use the query methods here. The same class serves every dialect. Where the database takes one writer at a
/// time (SQLite), every write here — sessions, marks, single statements — first takes its turn at the file's
/// <see cref="WriteGate"/>.
/// </summary>
public sealed partial class IndexDatabase
{
    private readonly ISqlDialect _dialect;
    private readonly string _connectionString;
    private readonly string _preparingConnectionString;
    private readonly TimeProvider _time;
    private readonly IndexSql _sql;
    private readonly WriteGate? _writeGate;
    private readonly TimeSpan _writeTimeout;

    public IndexDatabase(ISqlDialect dialect, string connectionString, TimeProvider time)
    {
        DapperSetup.EnsureConfigured();
        _dialect = dialect;
        _connectionString = connectionString;
        _preparingConnectionString = dialect.PreparingConnectionString(connectionString);
        _time = time;
        _sql = new IndexSql(dialect);
        if (dialect.SingleWriter(connectionString) is var (key, timeout))
        {
            _writeGate = WriteGate.For(key);
            _writeTimeout = timeout;
        }
    }

    private static readonly IDisposable NoTurn = new NothingToRelease();

    /// <summary>This writer's turn at the database (see <see cref="WriteGate"/>); nothing to wait for where the database
    /// serves concurrent writers itself.</summary>
    internal Task<IDisposable> WriteTurnAsync(CancellationToken ct) =>
        _writeGate is null ? Task.FromResult(NoTurn) : _writeGate.EnterAsync(_writeTimeout, ct);

    private sealed class NothingToRelease : IDisposable
    {
        public void Dispose() { }
    }

    public ISqlDialect Dialect => _dialect;
    public int SchemaVersion => _dialect.Migrations.Count;

    /// <param name="preparing">from the pool whose statements the server keeps prepared
    /// (<see cref="ISqlDialect.PreparingConnectionString"/>): for the paths a caller waits on.</param>
    internal async Task<DbConnection> OpenAsync(CancellationToken ct, bool preparing = false)
    {
        var c = _dialect.CreateConnection(preparing ? _preparingConnectionString : _connectionString);
        await c.OpenAsync(ct);
        if (_dialect.ConnectionSetupSql is { } setup)
            await c.ExecuteAsync(new CommandDefinition(setup, cancellationToken: ct));
        return c;
    }

    /// <summary>Creates or upgrades the schema. Safe to call from several processes at once.</summary>
    public async Task MigrateAsync(CancellationToken ct)
    {
        using var turn = await WriteTurnAsync(ct);
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

    /// <summary>A write transaction; it holds this writer's turn (<see cref="WriteTurnAsync"/>) until it is disposed.</summary>
    public async Task<IndexSession> BeginAsync(CancellationToken ct) => await BeginAsync(ct, preparing: false);

    /// <param name="auditLock">take the audit chain's lock with the transaction's setup, in the same round trip (for a
    /// transaction that only appends to the chain)</param>
    private async Task<IndexSession> BeginAsync(CancellationToken ct, bool preparing, bool auditLock = false)
    {
        var turn = await WriteTurnAsync(ct);
        DbConnection? c = null;
        try
        {
            c = await OpenAsync(ct, preparing);
            var tx = await c.BeginTransactionAsync(ct);
            var lockSql = auditLock ? _dialect.AuditLockSql : null;
            var setup = string.Join(";\n", new[] { _dialect.TransactionSetupSql, lockSql }.OfType<string>());
            if (setup.Length > 0)
                await c.ExecuteAsync(new CommandDefinition(setup, transaction: tx, cancellationToken: ct));
            return new IndexSession(c, tx, _dialect, _sql, turn, auditLocked: lockSql is not null);
        }
        catch
        {
            if (c is not null) await c.DisposeAsync();
            turn.Dispose();
            throw;
        }
    }

    public async Task PingAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteScalarAsync<int>(new CommandDefinition(_sql.Ping, cancellationToken: ct));
    }

    /// <summary>
    /// Takes the lease <paramref name="name"/> for <paramref name="holder"/> until <paramref name="duration"/> from now, in
    /// a transaction of its own: true when it is free, lapsed, or already this holder's (then renewed); false while
    /// another holder's runs. Work that must not run in two processes at once holds it.
    /// </summary>
    public async Task<bool> TakeLeaseAsync(string name, string holder, TimeSpan duration, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        return await ExecuteAsync(_sql.TakeLease, new { Name = name, Holder = holder, ExpiresAt = now + duration, Now = now }, ct) == 1;
    }

    /// <summary>Gives the lease up, if <paramref name="holder"/> holds it, so that another process need not wait for it to lapse.</summary>
    public Task ReleaseLeaseAsync(string name, string holder, CancellationToken ct) =>
        ExecuteAsync(_sql.ReleaseLease, new { Name = name, Holder = holder }, ct);

    /// <summary>A subject with its identifiers, listings, relations and the subjects on the other side of them,
    /// read over one connection; null when there is no such subject.</summary>
    public Task<SubjectDetail?> SubjectDetailAsync(string id, CancellationToken ct) =>
        SubjectDetailAsync(_sql.SubjectView, new { Id = id }, ct);

    /// <summary>The view of the subject an identifier belongs to (through a merge), found and read in one round trip;
    /// null when no subject has it.</summary>
    public Task<SubjectDetail?> SubjectDetailByIdentifierAsync(string scheme, string value, CancellationToken ct) =>
        SubjectDetailAsync(_sql.SubjectViewByIdentifier, new { Scheme = scheme, Value = value }, ct);

    private async Task<SubjectDetail?> SubjectDetailAsync(string sql, object args, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct, preparing: true);
        await using var grid = await c.QueryMultipleAsync(new CommandDefinition(sql, args, cancellationToken: ct));
        // every result read, found or not: Dapper cancels a command whose results are left unread, which on PostgreSQL
        // is a connection of its own to the server (4 ms a not-found lookup, measured)
        var subject = await grid.ReadFirstOrDefaultAsync<SubjectRow>();
        var identifiers = (await grid.ReadAsync<IdentifierRow>()).AsList();
        var listings = (await grid.ReadAsync<ListingRow>()).AsList();
        var relations = (await grid.ReadAsync<RelationRow>()).AsList();
        var related = (await grid.ReadAsync<SubjectRow>()).AsList();
        var relatedListings = (await grid.ReadAsync<ListingRow>()).AsList();
        var disputes = (await grid.ReadAsync<DisputeRow>()).AsList();
        return subject is null ? null : new SubjectDetail(subject, identifiers, listings, relations, related, OfListings(listings, disputes), relatedListings);
    }

    /// <summary>
    /// A subject's listings, every one it ever had, with the ledger rows that made and ended them: each listing's own
    /// record (any revision), and for a removed listing the removal the same agency had applied at the instant it ended.
    /// Null when there is no such subject.
    /// </summary>
    public async Task<SubjectHistory?> SubjectHistoryAsync(string id, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        if (await SubjectWithListingsAsync(c, id, ct) is not var (subject, identifiers, listings)) return null;
        var disputes = await DisputesOfAsync(c, listings, ct);
        // the ledger rows of the listings, and of the disputes and decisions about them
        var sources = listings.Select(l => l.SourceRecordId).Concat(disputes.Select(d => d.SourceRecordId))
            .Concat(disputes.Select(d => d.ResolutionSourceRecordId).OfType<string>()).Distinct().ToArray();
        var records = new List<LedgerRow>(sources.Length == 0 ? [] : await QueryAsync<LedgerRow>(c, _sql.RecordsOfSources, new { Ids = sources }, ct));
        foreach (var (agency, at) in listings.Where(l => l.Status is ListingStatus.Removed or ListingStatus.Revoked or ListingStatus.Repaired && l.SupersededAt is not null)
                     .Select(l => (l.OriginAgency, At: l.SupersededAt!.Value)).Distinct())
            records.AddRange(await QueryAsync<LedgerRow>(c, _sql.RecordsOfAgencyAt, new { Agency = agency, At = at }, ct));
        return new SubjectHistory(subject, identifiers, listings, records, disputes);
    }

    /// <summary>Every dispute, open or decided, of these listings' source records (same agency), oldest first.</summary>
    private async Task<IReadOnlyList<DisputeRow>> DisputesOfAsync(DbConnection c, IReadOnlyList<ListingRow> listings, CancellationToken ct) =>
        listings.Count == 0 ? [] : OfListings(listings,
            await QueryAsync<DisputeRow>(c, _sql.DisputesOfListings, new { Ids = listings.Select(l => l.SourceRecordId).Distinct().ToArray() }, ct));

    /// <summary>Of disputes read by the listings' source record ids, those of the same agency as the listing, oldest first.</summary>
    private static IReadOnlyList<DisputeRow> OfListings(IReadOnlyList<ListingRow> listings, IReadOnlyList<DisputeRow> rows)
    {
        var keys = listings.Select(l => (l.OriginAgency, l.SourceRecordId)).ToHashSet();
        return rows.Where(d => keys.Contains((d.AgencyCode, d.ListingSourceRecordId))).OrderBy(d => d.OpenedAt).ThenBy(d => d.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>What both views of a subject start from; null when there is no such subject.</summary>
    private async Task<(SubjectRow Subject, IReadOnlyList<IdentifierRow> Identifiers, IReadOnlyList<ListingRow> Listings)?> SubjectWithListingsAsync(
        DbConnection c, string id, CancellationToken ct)
    {
        // a subject merged into another is read as that one
        id = await c.QueryFirstOrDefaultAsync<string>(new CommandDefinition(_sql.IntoOf, new { Id = id }, cancellationToken: ct)) ?? id;
        var subject = await c.QueryFirstOrDefaultAsync<SubjectRow>(new CommandDefinition(_sql.SubjectById, new { Id = id }, cancellationToken: ct));
        if (subject is null) return null;
        var args = new { Id = id };
        return (subject, await QueryAsync<IdentifierRow>(c, _sql.IdentifiersOf, args, ct), await QueryAsync<ListingRow>(c, _sql.ListingsOf, args, ct));
    }

    /// <summary>Most keys one statement of a check's read carries: SQLite expands every key into a parameter of its own.</summary>
    internal const int CheckKeysPerStatement = 500;

    /// <summary>
    /// The subjects these keys name, each with every listing it has, in the order of <paramref name="keys"/> (a key the
    /// index does not know: no subject). Set-based, over one connection: one statement for the identifiers (a USCC also
    /// finds a company the index knows only by the organisation code embedded in it) and one for hub ids, each in chunks
    /// of <see cref="CheckKeysPerStatement"/> keys — one statement for one key. On PostgreSQL one index probe per key
    /// (<see cref="ISqlDialect.ForEachKey"/>).
    /// </summary>
    public async Task<IReadOnlyList<CheckSubjectRead>> SubjectsForCheckAsync(IReadOnlyList<SubjectKey> keys, CancellationToken ct)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        var hubIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            switch (key.Scheme)
            {
                case SubjectKey.HubId:
                    hubIds.Add(key.Value);
                    break;
                case SubjectKey.Uscc:
                    values.Add(key.Value);
                    values.Add(Hub.Domain.Identifiers.Uscc.EmbeddedOrganizationCode(key.Value));
                    break;
                case SubjectKey.Ric:
                    values.Add(key.Value);
                    break;
                default:
                    throw new ArgumentException($"a check names a subject by uscc, ric or hub-id, not {key.Scheme}", nameof(keys));
            }
        }
        var rows = new List<CheckRow>();
        if (values.Count + hubIds.Count > 0)
        {
            await using var c = await OpenAsync(ct, preparing: true);
            foreach (var chunk in values.Chunk(CheckKeysPerStatement))
                rows.AddRange(await QueryAsync<CheckRow>(c, _sql.CheckByIdentifier, new { Values = chunk, Strong = true }, ct));
            foreach (var chunk in hubIds.Chunk(CheckKeysPerStatement))
                rows.AddRange(await QueryAsync<CheckRow>(c, _sql.CheckByHubId, new { Ids = chunk }, ct));
        }
        var byKey = rows.GroupBy(r => (r.KeyScheme, r.KeyValue)).ToDictionary(g => g.Key, g => g.ToList());
        return keys.Select(key =>
        {
            if (!byKey.TryGetValue((key.Scheme, key.Value), out var found) && key.Scheme == SubjectKey.Uscc)
                byKey.TryGetValue(("org-code", Hub.Domain.Identifiers.Uscc.EmbeddedOrganizationCode(key.Value)), out found);
            if (found is null) return new CheckSubjectRead(key, null, []);
            var first = found[0];
            var listings = found.Where(r => r.ListingId is not null).DistinctBy(r => r.ListingId).ToList();
            return new CheckSubjectRead(key, new CheckedSubject(first.SubjectId, first.SubjectKind, first.SubjectName), listings);
        }).ToList();
    }

    public async Task<string?> FindSubjectIdAsync(string scheme, string value, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct, preparing: true);
        return await c.QueryFirstOrDefaultAsync<string>(new CommandDefinition(_sql.SubjectIdByIdentifier, new { Scheme = scheme, Value = value }, cancellationToken: ct));
    }

    /// <summary>The identifiers and listings of a name search's candidates, two statements for all of them (not a
    /// subject view each), each subject's in the order the subject view reads them.</summary>
    public async Task<(ILookup<string, IdentifierRow> Identifiers, ILookup<string, ListingRow> Listings)> CandidateDetailsAsync(
        IReadOnlyCollection<string> subjectIds, CancellationToken ct)
    {
        if (subjectIds.Count == 0) return (Array.Empty<IdentifierRow>().ToLookup(i => i.SubjectId), Array.Empty<ListingRow>().ToLookup(l => l.SubjectId));
        await using var c = await OpenAsync(ct, preparing: true);
        var args = new { Ids = subjectIds.ToArray() };
        var identifiers = await QueryAsync<IdentifierRow>(c, _sql.IdentifiersOfMany, args, ct);
        var listings = await QueryAsync<ListingRow>(c, _sql.ListingsOfMany, args, ct);
        return (identifiers.OrderByDescending(i => i.Strong).ThenBy(i => i.Scheme, StringComparer.Ordinal).ToLookup(i => i.SubjectId),
            listings.OrderBy(l => l.RecordedAt).ThenBy(l => l.SourceRevision).ThenBy(l => l.ParentListingId is not null).ThenBy(l => l.Id, StringComparer.Ordinal)
                .ToLookup(l => l.SubjectId));
    }

    public Task<IReadOnlyList<ListingRow>> ListingsOfAsync(string subjectId, CancellationToken ct) =>
        QueryAsync<ListingRow>(_sql.ListingsOf, new { Id = subjectId }, ct);

    public Task<IReadOnlyList<RelationRow>> RelationsOfAsync(string subjectId, CancellationToken ct) =>
        QueryAsync<RelationRow>(_sql.RelationsOf, new { Id = subjectId }, ct);

    /// <summary>Listings issued directly (not imputed to a representative).</summary>
    public Task<long> CountListingsAsync(CancellationToken ct) => ScalarAsync<long>(_sql.CountListings, null, ct);

    public Task<IReadOnlyList<QuarantineRow>> QuarantineAsync(string? agency, int limit, CancellationToken ct) =>
        agency is null
            ? QueryAsync<QuarantineRow>(_sql.QuarantineLatest, new { Limit = limit }, ct)
            : QueryAsync<QuarantineRow>(_sql.QuarantineOfAgency, new { Agency = agency, Limit = limit }, ct);

    /// <summary>Removals waiting for their listing, the nearest deadline first.</summary>
    public Task<IReadOnlyList<HeldRemovalRow>> HeldRemovalsAsync(int limit, CancellationToken ct) =>
        QueryAsync<HeldRemovalRow>(_sql.HeldRemovalsByDeadline, new { Limit = limit }, ct);

    /// <summary>The oldest pending outbound events, leaving out the ids and ordering keys given (parked by the relay).</summary>
    public Task<IReadOnlyList<OutboxRow>> PendingOutboxAsync(int limit, CancellationToken ct,
        IReadOnlyCollection<long>? skipIds = null, IReadOnlyCollection<string>? skipKeys = null) =>
        QueryAsync<OutboxRow>(_sql.PendingOutbox, new { Limit = limit, SkipIds = (skipIds ?? []).ToArray(), SkipKeys = (skipKeys ?? []).ToArray() }, ct);

    /// <summary>Marks outbox rows published and, in the same transaction, the removals whose <c>SubjectDelisted</c>
    /// (by event id, <paramref name="delistedEventIds"/>) was among them, records the removal receipts their
    /// subscribers owe now (<paramref name="receipts"/>; one already recorded for the agency and listing is kept), and
    /// stamps the records whose first event went out (<paramref name="relayedEventIds"/>) relayed, for the critical time.</summary>
    public async Task MarkPublishedAsync(IReadOnlyCollection<long> ids, CancellationToken ct, IReadOnlyCollection<string>? delistedEventIds = null,
        IReadOnlyList<RemovalReceiptRow>? receipts = null, IReadOnlyCollection<string>? relayedEventIds = null)
    {
        if (ids.Count == 0) return;
        var at = _time.GetUtcNow();
        using var turn = await WriteTurnAsync(ct);
        await using var c = await OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(_sql.MarkPublished, new { Ids = ids.ToArray(), At = at }, tx, cancellationToken: ct));
        if (delistedEventIds is { Count: > 0 })
            await c.ExecuteAsync(new CommandDefinition(_sql.MarkRemovalsPublished, new { EventIds = delistedEventIds.ToArray(), At = at }, tx, cancellationToken: ct));
        if (receipts is { Count: > 0 })
            await RemovalReceipts.ExecuteAsync(c, tx, receipts, ct);
        if (relayedEventIds is { Count: > 0 })
            await c.ExecuteAsync(new CommandDefinition(_sql.MarkIntakeRelayed, new { EventIds = relayedEventIds.ToArray(), At = at }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    private static readonly BulkInsert<RemovalReceiptRow> RemovalReceipts = new("removal_receipts",
        [new("agency_code", "text", typeof(string)), new("listing_id", "text", typeof(string)), new("event_id", "text", typeof(string)),
         new("subject_id", "text", typeof(string)), new("status", "text", typeof(string)), new("published_at", "timestamptz", typeof(DateTimeOffset)),
         new("deadline", "timestamptz", typeof(DateTimeOffset)), new("acknowledged_at", "timestamptz", typeof(DateTimeOffset?))],
        r => [r.AgencyCode, r.ListingId, r.EventId, r.SubjectId, r.Status, r.PublishedAt, r.Deadline, r.AcknowledgedAt],
        // an end published again (at least once) owes the receipt it owed the first time, with its first deadline
        " ON CONFLICT DO NOTHING");

    /// <summary>
    /// Acknowledges, for <paramref name="agency"/>, the receipts it owes for these listings, in one transaction with the
    /// audit entries <paramref name="audit"/> makes of the outcome (the receipts as stored after it, and the listing
    /// ids acknowledged now for the first time). Idempotent: a receipt acknowledged before keeps its first time.
    /// Listing ids the agency owes no receipt for are simply not among the receipts returned.
    /// </summary>
    public async Task<ReceiptAcknowledgement> AcknowledgeReceiptsAsync(string agency, IReadOnlyCollection<string> listingIds,
        Func<ReceiptAcknowledgement, IReadOnlyList<AuditEntry>> audit, CancellationToken ct)
    {
        var args = new { Agency = agency, Ids = listingIds.ToArray(), At = _time.GetUtcNow() };
        await using var session = await BeginAsync(ct);
        var newly = (await session.Connection.QueryAsync<string>(new CommandDefinition(_sql.AcknowledgeReceipts, args, session.Transaction, cancellationToken: ct)))
            .ToHashSet(StringComparer.Ordinal);
        var receipts = (await session.Connection.QueryAsync<RemovalReceiptRow>(new CommandDefinition(_sql.ReceiptsOfAgency, args, session.Transaction,
            cancellationToken: ct))).AsList();
        var outcome = new ReceiptAcknowledgement(receipts, newly);
        await session.AppendAuditAsync(audit(outcome), ct);
        await session.CommitAsync(ct);
        return outcome;
    }

    /// <summary>
    /// Removal receipts: with <paramref name="overdueOnly"/>, those not acknowledged by their deadline (still
    /// unacknowledged past it at the injected clock's now, or acknowledged after it); otherwise those not acknowledged
    /// yet. The earliest deadline first, of one agency or all; with how many each agency has, and its earliest deadline.
    /// </summary>
    public async Task<(IReadOnlyList<RemovalReceiptAgencyRow> Agencies, IReadOnlyList<RemovalReceiptRow> Receipts)> RemovalReceiptsAsync(bool overdueOnly,
        string? agency, int limit, CancellationToken ct)
    {
        var args = new { Now = _time.GetUtcNow(), Agency = agency, Limit = limit };
        await using var c = await OpenAsync(ct);
        var rows = await QueryAsync<RemovalReceiptRow>(c, _sql.ReceiptReportRows(overdueOnly, agency is not null), args, ct);
        var agencies = await QueryAsync<RemovalReceiptAgencyRow>(c, _sql.ReceiptReportAgencies(overdueOnly, agency is not null), args, ct);
        return (agencies, rows);
    }

    /// <summary>
    /// Court removals and their deadlines: with <paramref name="overdueOnly"/>, those not published by their deadline
    /// (still unpublished past it at the injected clock's now, or published after it), the earliest deadline first;
    /// otherwise all, the newest received first.
    /// </summary>
    public Task<IReadOnlyList<RemovalDeadlineRow>> RemovalDeadlinesAsync(bool overdueOnly, int limit, CancellationToken ct) =>
        overdueOnly
            ? QueryAsync<RemovalDeadlineRow>(_sql.OverdueRemovals, new { Now = _time.GetUtcNow(), Limit = limit }, ct)
            : QueryAsync<RemovalDeadlineRow>(_sql.LatestRemovals, new { Limit = limit }, ct);

    /// <summary>
    /// Disputes of listings: with <paramref name="overdueOnly"/>, those not decided by their review deadline (still open
    /// after it on <paramref name="today"/>, a China Standard Time date, or decided after it), the earliest deadline
    /// first; otherwise the open ones, the nearest deadline first.
    /// </summary>
    public Task<IReadOnlyList<DisputeRow>> DisputesAsync(bool overdueOnly, DateOnly today, int limit, CancellationToken ct) =>
        overdueOnly
            ? QueryAsync<DisputeRow>(_sql.OverdueDisputes, new { Today = today, Limit = limit }, ct)
            : QueryAsync<DisputeRow>(_sql.OpenDisputes, new { Limit = limit }, ct);

    /// <summary>The subscriptions operators made through the API.</summary>
    public Task<IReadOnlyList<SubscriptionRow>> SubscriptionsAsync(CancellationToken ct) => QueryAsync<SubscriptionRow>(_sql.Subscriptions, new { }, ct);

    /// <summary>Makes or replaces a subscription and records it, in one transaction.</summary>
    public async Task SaveSubscriptionAsync(SubscriptionRow row, AuditEntry audit, CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        await session.Connection.ExecuteAsync(new CommandDefinition(_sql.UpsertSubscription, row, session.Transaction, cancellationToken: ct));
        await session.AppendAuditAsync([audit], ct);
        await session.CommitAsync(ct);
    }

    /// <summary>Ends a subscription and records it, in one transaction; false (nothing recorded) when there was none.</summary>
    public async Task<bool> DeleteSubscriptionAsync(string agencyCode, AuditEntry audit, CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        if (await session.Connection.ExecuteAsync(new CommandDefinition(_sql.DeleteSubscription, new { AgencyCode = agencyCode }, session.Transaction,
                cancellationToken: ct)) == 0) return false;
        await session.AppendAuditAsync([audit], ct);
        await session.CommitAsync(ct);
        return true;
    }

    /// <summary>The subscriber queues as the Hub last bound them.</summary>
    public Task<IReadOnlyList<SubscriberQueueRow>> SubscriberQueuesAsync(CancellationToken ct) => QueryAsync<SubscriberQueueRow>(_sql.SubscriberQueues, new { }, ct);

    public Task SaveSubscriberQueueAsync(SubscriberQueueRow row, CancellationToken ct) => ExecuteAsync(_sql.UpsertSubscriberQueue, row, ct);

    /// <summary>Deletes up to <paramref name="limit"/> inbox ids received before <paramref name="before"/>; the count deleted.</summary>
    public Task<int> PruneInboxAsync(DateTimeOffset before, int limit, CancellationToken ct) =>
        ExecuteAsync(_sql.PruneInbox, new { Before = before, Limit = limit }, ct);

    /// <summary>Deletes up to <paramref name="limit"/> outbox rows published before <paramref name="before"/>; pending ones never.</summary>
    public Task<int> PrunePublishedOutboxAsync(DateTimeOffset before, int limit, CancellationToken ct) =>
        ExecuteAsync(_sql.PrunePublishedOutbox, new { Before = before, Limit = limit }, ct);

    /// <summary>
    /// Appends entries to the audit chain in a transaction of their own. The HTTP doors' disclosures wait for it, so it
    /// runs on the preparing pool, and on PostgreSQL in one round trip while this process knows the chain's head: the
    /// chain's lock and an insert that writes only if the head is still the one this process appended last, in one
    /// implicit transaction. When another process (or a transaction that appends with its own work) has moved the head,
    /// that insert writes nothing and the append reads the head under the lock, in four round trips.
    /// </summary>
    public async Task AppendAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return;
        if (_dialect.AuditLockSql is { } lockSql && Volatile.Read(ref _auditHead) is { } head)
        {
            var appended = await AppendAuditAfterAsync(lockSql, head, entries, ct);
            if (appended is not null)
            {
                Volatile.Write(ref _auditHead, appended);
                return;
            }
        }
        await using var session = await BeginAsync(ct, preparing: true, auditLock: true);
        await session.AppendAuditAsync(entries, ct);
        await session.CommitAsync(ct);
        Volatile.Write(ref _auditHead, session.AppendedAudit);
    }

    /// <summary>The head of the audit chain as this process last appended it; a hint, checked under the chain's lock.</summary>
    private AuditRow? _auditHead;

    /// <summary>The one-round-trip append after <paramref name="head"/>: the new head, or null (nothing written) when the
    /// chain's head is no longer <paramref name="head"/>. Forgets the head on failure, as the outcome may be unknown.</summary>
    private async Task<AuditRow?> AppendAuditAfterAsync(string lockSql, AuditRow head, IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        var rows = IndexSession.Link(entries, (head.Seq, head.Hash));
        try
        {
            await using var c = await OpenAsync(ct, preparing: true);
            await using var batch = c.CreateBatch();
            var take = batch.CreateBatchCommand();
            take.CommandText = lockSql;
            batch.BatchCommands.Add(take);
            var insert = IndexSession.AuditRows.UnnestCommand(batch, rows, _sql.AuditStillAfter);
            AddParameter(insert, "head", head.Seq);
            AddParameter(insert, "head_hash", head.Hash);
            batch.BatchCommands.Add(insert);
            // no transaction: the statements of one batch run in one implicit transaction, committed as it ends
            await batch.ExecuteNonQueryAsync(ct);
            return insert.RecordsAffected == rows.Count ? rows[^1] : null;
        }
        catch
        {
            Volatile.Write(ref _auditHead, null);
            throw;
        }
    }

    private static void AddParameter(DbBatchCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }

    /// <summary>
    /// Walks the whole audit chain in order, a page at a time, and names the first entry that is not as written. With an
    /// anchor — an entry's seq and hash noted outside the Hub earlier — it also finds entries removed from the chain's end,
    /// which the chain alone cannot show.
    /// </summary>
    public async Task<AuditVerification> VerifyAuditAsync(CancellationToken ct, long? anchorSeq = null, string? anchorHash = null)
    {
        const int page = 5_000;
        await using var c = await OpenAsync(ct);
        AuditRow? previous = null;
        long count = 0;
        while (true)
        {
            var rows = await QueryAsync<AuditRow>(c, _sql.AuditPage, new { After = previous?.Seq ?? 0, Limit = page }, ct);
            foreach (var row in rows)
            {
                var problem = AuditChain.Check(row, previous)
                              ?? (row.Seq == anchorSeq && !string.Equals(row.Hash, anchorHash, StringComparison.OrdinalIgnoreCase)
                                  ? $"entry {row.Seq} is not the entry noted outside the Hub (its hash differs from the anchor)"
                                  : null);
                if (problem is not null)
                    return new AuditVerification(count, previous?.Seq ?? 0, previous?.Hash ?? AuditChain.Genesis, row.Seq, problem);
                previous = row;
                count++;
            }
            if (rows.Count < page)
            {
                var head = previous?.Seq ?? 0;
                return anchorSeq > head
                    ? new AuditVerification(count, head, previous?.Hash ?? AuditChain.Genesis, anchorSeq,
                        $"entry {anchorSeq}, noted outside the Hub, is missing: the chain ends at entry {head} (entries were removed from its end)")
                    : new AuditVerification(count, head, previous?.Hash ?? AuditChain.Genesis, null, null);
            }
        }
    }

    /// <summary>The newest audit entries about a subject (who saw it, what was written about it), newest first.</summary>
    public Task<IReadOnlyList<AuditRow>> AuditOfSubjectAsync(string subjectId, int limit, CancellationToken ct) =>
        QueryAsync<AuditRow>(_sql.AuditOfSubject, new { Subject = subjectId, Limit = limit }, ct);

    public Task<IReadOnlyList<AuditRow>> AuditLatestAsync(int limit, CancellationToken ct) =>
        QueryAsync<AuditRow>(_sql.AuditLatest, new { Limit = limit }, ct);

    /// <summary>Stores keys and their audit entries in one transaction: a key exists only if its making is on record.</summary>
    public async Task AddApiKeysAsync(IReadOnlyList<(ApiKeyRow Key, AuditEntry Audit)> keys, CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        foreach (var (key, _) in keys)
            await session.Connection.ExecuteAsync(new CommandDefinition(_sql.AddApiKey, key, session.Transaction, cancellationToken: ct));
        await session.AppendAuditAsync(keys.Select(k => k.Audit).ToList(), ct);
        await session.CommitAsync(ct);
    }

    public async Task<ApiKeyRow?> FindApiKeyAsync(string keyHash, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QueryFirstOrDefaultAsync<ApiKeyRow>(new CommandDefinition(_sql.ApiKeyByHash, new { KeyHash = keyHash }, cancellationToken: ct));
    }

    public Task<IReadOnlyList<ApiKeyRow>> ApiKeysAsync(CancellationToken ct) => QueryAsync<ApiKeyRow>(_sql.ApiKeys, new { }, ct);

    public Task<long> CountApiKeysAsync(CancellationToken ct) => ScalarAsync<long>(_sql.CountApiKeys, null, ct);

    /// <summary>Revokes a key and records it in one transaction; false (nothing recorded) when there is no such active key.</summary>
    public async Task<bool> RevokeApiKeyAsync(string id, AuditEntry audit, CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        var revoked = await session.Connection.ExecuteAsync(new CommandDefinition(_sql.RevokeApiKey, new { Id = id, At = _time.GetUtcNow() },
            session.Transaction, cancellationToken: ct)) == 1;
        if (!revoked) return false;
        await session.AppendAuditAsync([audit], ct);
        await session.CommitAsync(ct);
        return true;
    }

    /// <summary>One writing statement on a connection of its own, in this writer's turn; the rows it changed.</summary>
    private async Task<int> ExecuteAsync(string sql, object args, CancellationToken ct)
    {
        using var turn = await WriteTurnAsync(ct);
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: ct));
    }

    private async Task<T> ScalarAsync<T>(string sql, object? args, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return (await c.ExecuteScalarAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct)))!;
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object args, CancellationToken ct, bool preparing = false)
    {
        await using var c = await OpenAsync(ct, preparing);
        return await QueryAsync<T>(c, sql, args, ct);
    }

    private static async Task<IReadOnlyList<T>> QueryAsync<T>(DbConnection c, string sql, object args, CancellationToken ct) =>
        (await c.QueryAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct))).AsList();
}
