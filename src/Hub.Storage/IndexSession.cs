using System.Data.Common;
using Dapper;
using Hub.Storage.Audit;

namespace Hub.Storage;

/// <summary>One write transaction on the index: the reads a batch needs, then <see cref="WriteAsync"/> and <see cref="CommitAsync"/>.</summary>
public sealed class IndexSession : IAsyncDisposable
{
    private static readonly BulkInsert<SubjectRow> Subjects = new("subjects",
        [new("id", "text", typeof(string)), new("kind", "text", typeof(string)), new("display_name", "text", typeof(string)), new("normalized_name", "text", typeof(string)), new("home_region", "text", typeof(string)), new("created_at", "timestamptz", typeof(DateTimeOffset)), new("updated_at", "timestamptz", typeof(DateTimeOffset)), new("core_name", "text", typeof(string))],
        r => [r.Id, r.Kind, r.DisplayName, r.NormalizedName, r.HomeRegion, r.CreatedAt, r.UpdatedAt, r.CoreName]);
    private static readonly BulkInsert<IdentifierRow> Identifiers = new("subject_identifiers",
        [new("scheme", "text", typeof(string)), new("value", "text", typeof(string)), new("subject_id", "text", typeof(string)), new("strong", "boolean", typeof(bool)), new("created_at", "timestamptz", typeof(DateTimeOffset))],
        r => [r.Scheme, r.Value, r.SubjectId, r.Strong, r.CreatedAt]);
    private static readonly BulkInsert<RelationRow> Relations = new("relations",
        [new("id", "text", typeof(string)), new("organization_id", "text", typeof(string)), new("person_id", "text", typeof(string)), new("role", "text", typeof(string)), new("valid_from", "date", typeof(DateOnly)), new("valid_to", "date", typeof(DateOnly?)), new("agency_code", "text", typeof(string)), new("source_record_id", "text", typeof(string)), new("recorded_at", "timestamptz", typeof(DateTimeOffset))],
        r => [r.Id, r.OrganizationId, r.PersonId, r.Role, r.ValidFrom, r.ValidTo, r.AgencyCode, r.SourceRecordId, r.RecordedAt]);
    private static readonly BulkInsert<ListingRow> Listings = new("listings",
        [new("id", "text", typeof(string)), new("subject_id", "text", typeof(string)), new("list_type", "text", typeof(string)), new("legal_basis", "text", typeof(string)), new("catalogue_version", "text", typeof(string)), new("origin_agency", "text", typeof(string)), new("origin_province", "text", typeof(string)), new("source_record_id", "text", typeof(string)), new("source_revision", "integer", typeof(int)), new("reference", "text", typeof(string)), new("valid_from", "date", typeof(DateOnly)), new("valid_until", "date", typeof(DateOnly?)), new("status", "text", typeof(string)), new("status_reason", "text", typeof(string)), new("ended_on", "date", typeof(DateOnly?)), new("recorded_at", "timestamptz", typeof(DateTimeOffset)), new("superseded_at", "timestamptz", typeof(DateTimeOffset?)), new("parent_listing_id", "text", typeof(string)), new("imputed_role", "text", typeof(string))],
        r => [r.Id, r.SubjectId, r.ListType, r.LegalBasis, r.CatalogueVersion, r.OriginAgency, r.OriginProvince, r.SourceRecordId,
              r.SourceRevision, r.Reference, r.ValidFrom, r.ValidUntil, r.Status, r.StatusReason, r.EndedOn, r.RecordedAt,
              r.SupersededAt, r.ParentListingId, r.ImputedRole]);
    private static readonly BulkInsert<LedgerRow> Records = new("records",
        [new("agency_code", "text", typeof(string)), new("source_record_id", "text", typeof(string)), new("revision", "integer", typeof(int)), new("kind", "text", typeof(string)), new("message_id", "text", typeof(string)), new("legal_basis", "text", typeof(string)), new("catalogue_version", "text", typeof(string)), new("payload", "text", typeof(string)), new("received_at", "timestamptz", typeof(DateTimeOffset))],
        r => [r.AgencyCode, r.SourceRecordId, r.Revision, r.Kind, r.MessageId, r.LegalBasis, r.CatalogueVersion, r.Payload, r.ReceivedAt]);
    private static readonly BulkInsert<(string Id, DateTimeOffset At)> Inbox = new("inbox",
        [new("message_id", "text", typeof(string)), new("received_at", "timestamptz", typeof(DateTimeOffset))], r => [r.Id, r.At], " ON CONFLICT DO NOTHING");
    private static readonly BulkInsert<QuarantineRow> Quarantine = new("quarantine",
        [new("id", "text", typeof(string)), new("agency_code", "text", typeof(string)), new("source_record_id", "text", typeof(string)), new("revision", "integer", typeof(int?)), new("kind", "text", typeof(string)), new("reason_code", "text", typeof(string)), new("reason", "text", typeof(string)), new("payload", "text", typeof(string)), new("message_id", "text", typeof(string)), new("received_at", "timestamptz", typeof(DateTimeOffset))],
        r => [r.Id, r.AgencyCode, r.SourceRecordId, r.Revision, r.Kind, r.ReasonCode, r.Reason, r.Payload, r.MessageId, r.ReceivedAt],
        // a record waits once per (agency, source id, revision, kind) (ux_quarantine_waiting): the aggregator reads the
        // waiting rows first, this only settles two aggregators quarantining the same record at once
        " ON CONFLICT DO NOTHING");
    private static readonly BulkInsert<OutboxRow> Outbox = new("outbox",
        [new("message_type", "text", typeof(string)), new("payload", "text", typeof(string)), new("created_at", "timestamptz", typeof(DateTimeOffset)), new("ordering_key", "text", typeof(string))],
        r => [r.MessageType, r.Payload, r.CreatedAt, r.OrderingKey]);

    private static readonly BulkInsert<HeldRemovalRow> HeldRemovals = new("held_removals",
        [new("id", "text", typeof(string)), new("agency_code", "text", typeof(string)), new("source_record_id", "text", typeof(string)), new("revision", "integer", typeof(int)), new("listing_source_record_id", "text", typeof(string)), new("kind", "text", typeof(string)), new("message_id", "text", typeof(string)), new("payload", "text", typeof(string)), new("received_at", "timestamptz", typeof(DateTimeOffset)), new("deadline", "timestamptz", typeof(DateTimeOffset))],
        r => [r.Id, r.AgencyCode, r.SourceRecordId, r.Revision, r.ListingSourceRecordId, r.Kind, r.MessageId, r.Payload, r.ReceivedAt, r.Deadline],
        // a removal sent again while it waits keeps the row it waits in (ux_held_removals_record)
        " ON CONFLICT DO NOTHING");

    private static readonly BulkInsert<RemovalDeadlineRow> RemovalDeadlines = new("removal_deadlines",
        [new("id", "text", typeof(string)), new("agency_code", "text", typeof(string)), new("source_record_id", "text", typeof(string)), new("revision", "integer", typeof(int)), new("listing_id", "text", typeof(string)), new("event_id", "text", typeof(string)), new("received_at", "timestamptz", typeof(DateTimeOffset)), new("deadline", "timestamptz", typeof(DateTimeOffset)), new("published_at", "timestamptz", typeof(DateTimeOffset?))],
        r => [r.Id, r.AgencyCode, r.SourceRecordId, r.Revision, r.ListingId, r.EventId, r.ReceivedAt, r.Deadline, r.PublishedAt]);

    private static readonly BulkInsert<DisputeRow> Disputes = new("disputes",
        [new("id", "text", typeof(string)), new("agency_code", "text", typeof(string)), new("listing_source_record_id", "text", typeof(string)), new("source_record_id", "text", typeof(string)), new("revision", "integer", typeof(int)), new("kind", "text", typeof(string)), new("subject_id", "text", typeof(string)), new("listing_id", "text", typeof(string)), new("filed_on", "date", typeof(DateOnly)), new("review_deadline", "date", typeof(DateOnly?)), new("opened_at", "timestamptz", typeof(DateTimeOffset)), new("resolved_at", "timestamptz", typeof(DateTimeOffset?)), new("outcome", "text", typeof(string)), new("decided_on", "date", typeof(DateOnly?)), new("resolution_source_record_id", "text", typeof(string))],
        r => [r.Id, r.AgencyCode, r.ListingSourceRecordId, r.SourceRecordId, r.Revision, r.Kind, r.SubjectId, r.ListingId, r.FiledOn, r.ReviewDeadline,
              r.OpenedAt, r.ResolvedAt, r.Outcome, r.DecidedOn, r.ResolutionSourceRecordId]);

    private static readonly BulkInsert<MatchReviewRow> Reviews = new("match_reviews",
        [new("id", "text", typeof(string)), new("subject_a", "text", typeof(string)), new("subject_b", "text", typeof(string)), new("kind", "text", typeof(string)), new("score", "double precision", typeof(double)), new("evidence", "text", typeof(string)), new("status", "text", typeof(string)), new("created_at", "timestamptz", typeof(DateTimeOffset)), new("decided_at", "timestamptz", typeof(DateTimeOffset?)), new("decided_by", "text", typeof(string)), new("note", "text", typeof(string))],
        r => [r.Id, r.SubjectA, r.SubjectB, r.Kind, r.Score, r.Evidence, r.Status, r.CreatedAt, r.DecidedAt, r.DecidedBy, r.Note],
        // a pair queued by two aggregators at once is one review
        " ON CONFLICT DO NOTHING");

    internal static readonly BulkInsert<AuditRow> AuditRows = new("audit_log",
        [new("seq", "bigint", typeof(long)), new("at", "timestamptz", typeof(DateTimeOffset)), new("principal", "text", typeof(string)), new("agency_code", "text", typeof(string)), new("action", "text", typeof(string)), new("scope", "text", typeof(string)), new("subject_id", "text", typeof(string)), new("outcome", "text", typeof(string)), new("detail", "text", typeof(string)), new("channel", "text", typeof(string)), new("prev_hash", "text", typeof(string)), new("hash", "text", typeof(string))],
        r => [r.Seq, r.At, r.Principal, r.AgencyCode, r.Action, r.Scope, r.SubjectId, r.Outcome, r.Detail, r.Channel, r.PrevHash, r.Hash]);

    private static readonly BulkInsert<IntakeRow> Intake = new("record_intake",
        [new("at", "timestamptz", typeof(DateTimeOffset)), new("sent_at", "timestamptz", typeof(DateTimeOffset?)), new("agency_code", "text", typeof(string)), new("province", "text", typeof(string)), new("kind", "text", typeof(string)), new("outcome", "text", typeof(string)), new("reason_code", "text", typeof(string)), new("subject_id", "text", typeof(string)), new("decision_date", "date", typeof(DateOnly?)), new("listings", "integer", typeof(int)), new("event_id", "text", typeof(string))],
        r => [r.At, r.SentAt, r.AgencyCode, r.Province, r.Kind, r.Outcome, r.ReasonCode, r.SubjectId, r.DecisionDate, r.Listings, r.EventId]);

    private readonly DbConnection _connection;
    private readonly DbTransaction _transaction;
    private readonly ISqlDialect _dialect;
    private readonly IndexSql _sql;

    private readonly IDisposable _turn;

    /// <summary>The audit chain's lock was taken when the transaction began (<see cref="IndexDatabase.AppendAuditAsync"/>).</summary>
    private bool _auditLocked;

    internal IndexSession(DbConnection connection, DbTransaction transaction, ISqlDialect dialect, IndexSql sql, IDisposable turn, bool auditLocked = false)
    {
        _auditLocked = auditLocked;
        _sql = sql;
        _connection = connection;
        _transaction = transaction;
        _dialect = dialect;
        _turn = turn;
    }

    /// <summary>For tests that look at the session's own state on the server.</summary>
    internal DbConnection Connection => _connection;
    internal DbTransaction Transaction => _transaction;

    public async Task<HashSet<string>> SeenMessagesAsync(IReadOnlyCollection<string> messageIds, CancellationToken ct) =>
        messageIds.Count == 0 ? [] : [.. await Query<string>(_sql.SeenMessages, new { Ids = messageIds.ToArray() }, ct)];

    /// <summary>Ledger keys already recorded for these source record ids (any agency, any revision).</summary>
    public async Task<IReadOnlyList<LedgerRow>> RecordsBySourceAsync(IReadOnlyCollection<string> sourceRecordIds, CancellationToken ct) =>
        sourceRecordIds.Count == 0 ? [] : await Query<LedgerRow>(_sql.RecordsBySource, new { Ids = sourceRecordIds.ToArray() }, ct);

    /// <summary>Quarantine rows still waiting (not released) for these source record ids: id and key only.</summary>
    public async Task<IReadOnlyList<QuarantineRow>> WaitingQuarantineAsync(IReadOnlyCollection<string> sourceRecordIds, CancellationToken ct) =>
        sourceRecordIds.Count == 0 ? [] : await Query<QuarantineRow>(_sql.WaitingQuarantineBySource, new { Ids = sourceRecordIds.ToArray() }, ct);

    /// <summary>Strong identifiers among these values, with the subject each belongs to.</summary>
    public async Task<IReadOnlyList<IdentifierRow>> StrongIdentifiersAsync(IReadOnlyCollection<string> values, CancellationToken ct) =>
        values.Count == 0 ? [] : await Query<IdentifierRow>(_sql.StrongIdentifiers, new { Values = values.ToArray(), Strong = true }, ct);

    /// <summary>Active issued listings of these persons and of the organisations they represent.</summary>
    public async Task<IReadOnlyList<TiedListingRow>> TiedListingsAsync(IReadOnlyCollection<string> personIds, CancellationToken ct) =>
        personIds.Count == 0 ? [] : await Query<TiedListingRow>(_sql.TiedListings, new { Ids = personIds.ToArray() }, ct);

    /// <summary>Active issued listings of organisations with these core names, with each one's current representative.</summary>
    public async Task<IReadOnlyList<CoreNameListingRow>> ListingsByCoreNameAsync(IReadOnlyCollection<string> coreNames, CancellationToken ct) =>
        coreNames.Count == 0 ? [] : await Query<CoreNameListingRow>(_sql.ListingsByCoreName, new { Names = coreNames.ToArray(), Strong = true }, ct);

    /// <summary>Reviews made or pending of pairs involving these subjects.</summary>
    public async Task<IReadOnlyList<MatchReviewRow>> ReviewsOfAsync(IReadOnlyCollection<string> subjectIds, CancellationToken ct) =>
        subjectIds.Count == 0 ? [] : await Query<MatchReviewRow>(_sql.ReviewsOfSubjects, new { Ids = subjectIds.ToArray() }, ct);

    /// <summary>Subjects known by one of these weak keys (masked ID numbers, names with birth dates).</summary>
    public async Task<IReadOnlyList<WeakCandidateRow>> WeakCandidatesAsync(IReadOnlyCollection<string> maskedNumbers, CancellationToken ct) =>
        maskedNumbers.Count == 0 ? [] : await Query<WeakCandidateRow>(_sql.WeakCandidates, new { Values = maskedNumbers.ToArray(), Strong = true }, ct);

    public async Task<IReadOnlyList<ListingRow>> ActiveListingsBySourceAsync(IReadOnlyCollection<string> sourceRecordIds, CancellationToken ct) =>
        sourceRecordIds.Count == 0 ? [] : await Query<ListingRow>(_sql.ActiveListingsBySource, new { Ids = sourceRecordIds.ToArray() }, ct);

    /// <summary>Open disputes of listings with one of these source record ids (any agency).</summary>
    public async Task<IReadOnlyList<DisputeRow>> OpenDisputesAsync(IReadOnlyCollection<string> listingSourceRecordIds, CancellationToken ct) =>
        listingSourceRecordIds.Count == 0 ? [] : await Query<DisputeRow>(_sql.OpenDisputesOfListings, new { Ids = listingSourceRecordIds.ToArray() }, ct);

    /// <summary>Removals waiting for a listing with one of these source record ids (any agency).</summary>
    public async Task<IReadOnlyList<HeldRemovalRow>> HeldRemovalsForListingsAsync(IReadOnlyCollection<string> listingSourceRecordIds, CancellationToken ct) =>
        listingSourceRecordIds.Count == 0 ? [] : await Query<HeldRemovalRow>(_sql.HeldRemovalsByListing, new { Ids = listingSourceRecordIds.ToArray() }, ct);

    /// <summary>The held removals whose deadline comes first.</summary>
    public Task<IReadOnlyList<HeldRemovalRow>> HeldRemovalsAsync(int limit, CancellationToken ct) =>
        Query<HeldRemovalRow>(_sql.HeldRemovalsByDeadline, new { Limit = limit }, ct);

    /// <summary>Up to <paramref name="limit"/> active listings whose term ended before <paramref name="today"/> (a date in
    /// China Standard Time), the earliest end first, locked until this transaction ends; on PostgreSQL rows another
    /// transaction holds are passed over.</summary>
    public Task<IReadOnlyList<ListingRow>> ExpiringListingsAsync(DateOnly today, int limit, CancellationToken ct) =>
        Query<ListingRow>(_sql.ExpiringListings, new { Today = today, Limit = limit }, ct);

    /// <summary>The active imputed listings of these listings, locked like <see cref="ExpiringListingsAsync"/>.</summary>
    public async Task<IReadOnlyList<ListingRow>> ActiveChildrenAsync(IReadOnlyCollection<string> parentIds, CancellationToken ct) =>
        parentIds.Count == 0 ? [] : await Query<ListingRow>(_sql.ActiveChildren, new { Ids = parentIds.ToArray() }, ct);

    /// <summary>Ends these listings where they are still active; the number of listings that ended.</summary>
    public async Task<int> EndListingsAsync(IReadOnlyCollection<ListingEnd> ends, CancellationToken ct)
    {
        var ended = 0;
        foreach (var group in ends.GroupBy(e => (e.Status, e.Reason, e.EndedOn, e.At)))
            ended += await _connection.ExecuteAsync(new CommandDefinition(_sql.EndListings,
                new { group.Key.Status, group.Key.Reason, group.Key.EndedOn, group.Key.At, Ids = group.Select(e => e.ListingId).ToArray() },
                _transaction, cancellationToken: ct));
        return ended;
    }

    /// <summary>The legal representatives of these organisations, current and former, with the person's names.</summary>
    public async Task<IReadOnlyList<RepresentativeRow>> RepresentativesAsync(IReadOnlyCollection<string> organizationIds, CancellationToken ct) =>
        organizationIds.Count == 0 ? [] : await Query<RepresentativeRow>(_sql.Representatives, new { Ids = organizationIds.ToArray(), Strong = true }, ct);

    public async Task<IReadOnlyList<SubjectRow>> SubjectsAsync(IReadOnlyCollection<string> ids, CancellationToken ct) =>
        ids.Count == 0 ? [] : await Query<SubjectRow>(_sql.SubjectsById, new { Ids = ids.ToArray() }, ct);

    /// <summary>Writes everything in parent-before-child order, each table in bulk (<see cref="BulkInsert{T}"/>).</summary>
    public async Task WriteAsync(IndexWrite w, CancellationToken ct)
    {
        await Subjects.ExecuteAsync(_connection, _transaction, w.Subjects, ct);
        await Identifiers.ExecuteAsync(_connection, _transaction, w.Identifiers, ct);
        foreach (var g in w.RelationEnds.GroupBy(r => (r.Role, r.ValidTo)))
            await _connection.ExecuteAsync(new CommandDefinition(_sql.CloseRelations,
                new { g.Key.ValidTo, g.Key.Role, Ids = g.Select(r => r.OrganizationId).Distinct().ToArray() }, _transaction, cancellationToken: ct));
        await Relations.ExecuteAsync(_connection, _transaction, w.Relations, ct);
        // a listing this batch read as active may have been ended since by another transaction (the expiry sweep):
        // its events would say it ended twice. Then the batch is applied again, from what is stored now.
        var ending = w.ListingEnds.Select(e => e.ListingId).Distinct().Count();
        if (await EndListingsAsync(w.ListingEnds, ct) != ending)
            throw new ConcurrentChangeException("a listing this batch ends was ended by another transaction meanwhile");
        await Listings.ExecuteAsync(_connection, _transaction, w.Listings, ct);
        await Records.ExecuteAsync(_connection, _transaction, w.Records, ct);
        await Inbox.ExecuteAsync(_connection, _transaction, w.InboxMessageIds.Select(id => (id, w.At)).ToList(), ct);
        await Quarantine.ExecuteAsync(_connection, _transaction, w.Quarantine, ct);
        await Outbox.ExecuteAsync(_connection, _transaction, w.Outbox, ct);
        if (w.ReleasedHeldRemovals.Count > 0)
        {
            var ids = w.ReleasedHeldRemovals.Distinct().ToArray();
            var deleted = await _connection.ExecuteAsync(new CommandDefinition(_sql.DeleteHeldRemovals, new { Ids = ids }, _transaction, cancellationToken: ct));
            // another transaction applied or quarantined one of them first: this one must not do it again
            if (deleted != ids.Length) throw new ConcurrentChangeException($"{ids.Length - deleted} of {ids.Length} held removals were released by another transaction");
        }
        await HeldRemovals.ExecuteAsync(_connection, _transaction, w.HeldRemovals, ct);
        await RemovalDeadlines.ExecuteAsync(_connection, _transaction, w.RemovalDeadlines, ct);
        foreach (var r in w.DisputeResolutions)
            if (await _connection.ExecuteAsync(new CommandDefinition(_sql.ResolveDispute, r, _transaction, cancellationToken: ct)) != 1)
                throw new ConcurrentChangeException($"dispute {r.DisputeId} was decided by another transaction meanwhile");
        await Disputes.ExecuteAsync(_connection, _transaction, w.Disputes, ct);
        await Reviews.ExecuteAsync(_connection, _transaction, w.Reviews, ct);
        await Intake.ExecuteAsync(_connection, _transaction, w.Intake, ct);
        await AppendAuditAsync(w.Audit, ct);
    }

    /// <summary>Records a message id in the inbox, so a redelivery of it is dropped.</summary>
    public Task MarkSeenAsync(string messageId, DateTimeOffset at, CancellationToken ct) =>
        Inbox.ExecuteAsync(_connection, _transaction, [(messageId, at)], ct);

    /// <summary>
    /// Appends entries to the audit chain in this transaction: takes the chain's lock (held to the commit), reads the
    /// head, and links each entry to the one before. Called last in a transaction, so the lock is held only briefly.
    /// </summary>
    public async Task AppendAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return;
        if (_dialect.AuditLockSql is { } lockSql && !_auditLocked)
            await _connection.ExecuteAsync(new CommandDefinition(lockSql, transaction: _transaction, cancellationToken: ct));
        _auditLocked = true;
        var head = await _connection.QueryFirstOrDefaultAsync<AuditRow>(new CommandDefinition(_sql.AuditHead, transaction: _transaction, cancellationToken: ct));
        var rows = Link(entries, head is null ? (0L, AuditChain.Genesis) : (head.Seq, head.Hash));
        await AuditRows.ExecuteAsync(_connection, _transaction, rows, ct);
        AppendedAudit = rows[^1];
    }

    /// <summary>The last entry this session appended to the audit chain (the chain's head once it commits).</summary>
    public AuditRow? AppendedAudit { get; private set; }

    /// <summary>The entries as rows of the chain after <paramref name="head"/> (seq 0 and the genesis hash: an empty chain).</summary>
    internal static List<AuditRow> Link(IReadOnlyList<AuditEntry> entries, (long Seq, string Hash) head)
    {
        var (seq, prev) = head;
        var rows = new List<AuditRow>(entries.Count);
        foreach (var e in entries)
        {
            var row = AuditChain.Link(e, ++seq, prev);
            rows.Add(row);
            prev = row.Hash;
        }
        return rows;
    }

    public Task CommitAsync(CancellationToken ct) => _transaction.CommitAsync(ct);

    /// <summary>Ends the transaction (rolled back unless committed) and hands the writer's turn on.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }
        finally
        {
            _turn.Dispose();
        }
    }

    private async Task<IReadOnlyList<T>> Query<T>(string sql, object args, CancellationToken ct) =>
        (await _connection.QueryAsync<T>(new CommandDefinition(sql, args, _transaction, cancellationToken: ct))).AsList();
}
