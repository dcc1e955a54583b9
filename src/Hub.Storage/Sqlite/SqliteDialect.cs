using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Hub.Storage.Sqlite;

public sealed class SqliteDialect : ISqlDialect
{
    public string Name => "sqlite";
    public DbConnection CreateConnection(string connectionString) => new SqliteConnection(connectionString);
    public IReadOnlyList<string> Migrations => SqliteSchema.Migrations;
    public string? MigrationLockSql => null;
    /// <summary>Write-ahead log: readers never wait for the writer, nor the writer for them, and a commit appends to the log
    /// instead of rewriting pages in place. <c>synchronous</c> stays at its default, FULL: every commit is on disk before
    /// it returns (docs/BENCHMARKS.md measured NORMAL, which is not, and it bought nothing at one commit per batch).</summary>
    public string? DatabaseSetupSql => "PRAGMA journal_mode = WAL;";
    public string? TransactionSetupSql => null;

    /// <summary>SQLite has one writer at a time: a write transaction (BEGIN IMMEDIATE) already holds the chain's head.</summary>
    public string? AuditLockSql => null;

    /// <summary>How long a writer waits for its turn: in this process at the <see cref="WriteGate"/>, from another process
    /// (a second Hub on the same file) in SQLite's busy handler.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    /// <remarks><c>cache_size</c>: up to 64 MiB of pages per connection (SQLite's default is 2 MiB). With 2 MiB the
    /// aggregator's batch read most index pages back from the file (a system call each) as the index grew past a few
    /// MB; 64 MiB made the embedded bulk path about a tenth faster (docs/BENCHMARKS.md). Pages are cached as they are
    /// read: a small index costs little, and the pool keeps a few connections.</remarks>
    public string? ConnectionSetupSql => $"PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA cache_size = -65536;";

    /// <summary>One writer at a time per file: writers of this process take turns at the file's <see cref="WriteGate"/>,
    /// each write transaction then begins IMMEDIATE (Microsoft.Data.Sqlite's default) with the file free.</summary>
    public (string Key, TimeSpan Timeout)? SingleWriter(string connectionString)
    {
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return string.IsNullOrEmpty(file) || file == ":memory:" ? null : (Path.GetFullPath(file), BusyTimeout);
    }
    /// <remarks>
    /// One parameter whatever the list's length, a JSON array (<see cref="DapperSetup"/> writes <c>string[]</c> and
    /// <c>long[]</c> values so on SQLite), read by <c>json_each</c>; SQLite probes the column's index once per value. Not
    /// Dapper's expansion of <c>IN @Ids</c> into one parameter per value: SQLite finds a named parameter by a linear scan
    /// of the statement's names, when it parses the statement and again when Microsoft.Data.Sqlite binds each value, so a
    /// list of P values cost P² string comparisons — the aggregator's batch reads (500–1,500 keys each) and the relay's
    /// marks spent a fifth of the embedded default's CPU in them (docs/BENCHMARKS.md).
    /// </remarks>
    public string InList(string parameter) => $"IN (SELECT value FROM json_each(@{parameter}))";
    public string NotInList(string parameter) => $"NOT IN (SELECT value FROM json_each(@{parameter}))";
    public string ForEachKey(string parameter, string query) => query.Replace("{key}", InList(parameter), StringComparison.Ordinal);
    /// <summary>Nothing to lock row by row: a write transaction (BEGIN IMMEDIATE) is the only writer.</summary>
    public string LockSkipLocked => "";
    public int MaxParameters => 32_000;
}

internal static class SqliteSchema
{
    // Dates are ISO text (yyyy-MM-dd), times ISO text in UTC: both sort and compare correctly as text.
    public static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE subjects (
            id TEXT PRIMARY KEY, kind TEXT NOT NULL, display_name TEXT NOT NULL, normalized_name TEXT NOT NULL,
            home_region TEXT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE subject_identifiers (
            scheme TEXT NOT NULL, value TEXT NOT NULL, subject_id TEXT NOT NULL REFERENCES subjects(id),
            strong INTEGER NOT NULL, created_at TEXT NOT NULL);
        CREATE UNIQUE INDEX ux_subject_identifiers_strong ON subject_identifiers (scheme, value) WHERE strong = 1;
        CREATE INDEX ix_subject_identifiers_value ON subject_identifiers (value);
        CREATE INDEX ix_subject_identifiers_subject ON subject_identifiers (subject_id);
        CREATE TABLE relations (
            id TEXT PRIMARY KEY, organization_id TEXT NOT NULL REFERENCES subjects(id), person_id TEXT NOT NULL REFERENCES subjects(id),
            role TEXT NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT NULL,
            agency_code TEXT NOT NULL, source_record_id TEXT NOT NULL, recorded_at TEXT NOT NULL);
        CREATE INDEX ix_relations_organization ON relations (organization_id);
        CREATE INDEX ix_relations_person ON relations (person_id);
        CREATE TABLE records (
            id INTEGER PRIMARY KEY AUTOINCREMENT, agency_code TEXT NOT NULL, source_record_id TEXT NOT NULL, revision INTEGER NOT NULL,
            kind TEXT NOT NULL, message_id TEXT NULL, legal_basis TEXT NOT NULL, catalogue_version TEXT NOT NULL,
            payload TEXT NOT NULL, received_at TEXT NOT NULL,
            UNIQUE (agency_code, source_record_id, revision, kind));
        CREATE INDEX ix_records_source ON records (source_record_id);
        CREATE TABLE listings (
            id TEXT PRIMARY KEY, subject_id TEXT NOT NULL REFERENCES subjects(id), list_type TEXT NOT NULL,
            legal_basis TEXT NOT NULL, catalogue_version TEXT NOT NULL, origin_agency TEXT NOT NULL, origin_province TEXT NOT NULL,
            source_record_id TEXT NOT NULL, source_revision INTEGER NOT NULL, reference TEXT NOT NULL,
            valid_from TEXT NOT NULL, valid_until TEXT NULL, status TEXT NOT NULL, status_reason TEXT NULL, ended_on TEXT NULL,
            recorded_at TEXT NOT NULL, superseded_at TEXT NULL,
            parent_listing_id TEXT NULL REFERENCES listings(id), imputed_role TEXT NULL);
        CREATE INDEX ix_listings_subject ON listings (subject_id);
        CREATE INDEX ix_listings_source ON listings (source_record_id, origin_agency);
        CREATE TABLE inbox (message_id TEXT PRIMARY KEY, received_at TEXT NOT NULL);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT, message_type TEXT NOT NULL, payload TEXT NOT NULL,
            created_at TEXT NOT NULL, published_at TEXT NULL);
        CREATE INDEX ix_outbox_pending ON outbox (id) WHERE published_at IS NULL;
        CREATE TABLE quarantine (
            id TEXT PRIMARY KEY, agency_code TEXT NULL, source_record_id TEXT NULL, revision INTEGER NULL, kind TEXT NOT NULL,
            reason_code TEXT NOT NULL, reason TEXT NOT NULL, payload TEXT NOT NULL, message_id TEXT NULL,
            received_at TEXT NOT NULL, released_at TEXT NULL);
        CREATE INDEX ix_quarantine_agency ON quarantine (agency_code, received_at);
        """,
        // 2: the relay publishes events about different subjects at once and those about one subject in order
        """
        ALTER TABLE outbox ADD COLUMN ordering_key TEXT NULL;
        """,
        // 3: the audit log (a hash chain: each entry carries the hash of the one before) and hashed API keys
        """
        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY, at TEXT NOT NULL, principal TEXT NOT NULL, agency_code TEXT NULL,
            action TEXT NOT NULL, scope TEXT NULL, subject_id TEXT NULL, outcome TEXT NOT NULL,
            detail TEXT NULL, channel TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
        CREATE INDEX ix_audit_log_subject ON audit_log (subject_id, seq) WHERE subject_id IS NOT NULL;
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY, principal TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
            label TEXT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT NULL);
        """,
        // 4: a refused record waits in quarantine once per (agency, source id, revision, kind): a resent file finds the
        // row it left before. Duplicates left by earlier builds go (the earliest received stays); a released row no
        // longer counts, so a record resent after its release is quarantined anew. Rows without a key stay, every one.
        """
        CREATE INDEX ix_quarantine_source ON quarantine (source_record_id) WHERE released_at IS NULL;
        DELETE FROM quarantine AS q
        WHERE q.released_at IS NULL AND trim(q.source_record_id) <> '' AND EXISTS (
            SELECT 1 FROM quarantine e
            WHERE e.released_at IS NULL AND e.agency_code = q.agency_code AND e.source_record_id = q.source_record_id
              AND e.revision = q.revision AND e.kind = q.kind AND (e.received_at, e.id) < (q.received_at, q.id));
        CREATE UNIQUE INDEX ux_quarantine_waiting ON quarantine (agency_code, source_record_id, revision, kind)
            WHERE released_at IS NULL AND agency_code IS NOT NULL AND source_record_id IS NOT NULL AND revision IS NOT NULL
              AND trim(source_record_id) <> '';
        """,
        // 5: a court's removal that arrives before the listing it ends waits for it, until a deadline
        """
        CREATE TABLE held_removals (
            id TEXT PRIMARY KEY, agency_code TEXT NOT NULL, source_record_id TEXT NOT NULL, revision INTEGER NOT NULL,
            listing_source_record_id TEXT NOT NULL, kind TEXT NOT NULL, message_id TEXT NULL, payload TEXT NOT NULL,
            received_at TEXT NOT NULL, deadline TEXT NOT NULL);
        CREATE UNIQUE INDEX ux_held_removals_record ON held_removals (agency_code, source_record_id, revision, kind);
        CREATE INDEX ix_held_removals_listing ON held_removals (listing_source_record_id);
        CREATE INDEX ix_held_removals_deadline ON held_removals (deadline, id);
        """,
        // 6: listings end when their term runs out, without anyone acting: the expiry sweep reads the active listings
        // by the end of their term, and the imputed listings of the ones it ends; one Hub process sweeps at a time,
        // holding a lease
        """
        -- valid_until IS NOT NULL: a query by source id "AND status = 'active'" must not match this index (the planner
        -- took it for the aggregator's batch read on a young table and scanned every active listing: 200 ms a batch)
        CREATE INDEX ix_listings_expiry ON listings (valid_until, id) WHERE status = 'active' AND valid_until IS NOT NULL;
        CREATE INDEX ix_listings_parent ON listings (parent_listing_id) WHERE parent_listing_id IS NOT NULL;
        CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL);
        """,
        // 7: retention prunes the inbox by age, oldest first
        """
        CREATE INDEX ix_inbox_received ON inbox (received_at);
        """,
        // 8: a court's removal must take effect and be published within 3 working days: each applied removal, when it
        // was received, its deadline, and when its SubjectDelisted went out (the relay sets published_at by event id)
        """
        CREATE TABLE removal_deadlines (
            id TEXT PRIMARY KEY, agency_code TEXT NOT NULL, source_record_id TEXT NOT NULL, revision INTEGER NOT NULL,
            listing_id TEXT NOT NULL, event_id TEXT NOT NULL, received_at TEXT NOT NULL, deadline TEXT NOT NULL, published_at TEXT NULL);
        CREATE UNIQUE INDEX ux_removal_deadlines_event ON removal_deadlines (event_id);
        CREATE INDEX ix_removal_deadlines_pending ON removal_deadlines (deadline, id) WHERE published_at IS NULL;
        CREATE INDEX ix_removal_deadlines_received ON removal_deadlines (received_at);
        """,
        // 9: disputes of listings (correction requests and appeals), open until their issuer decides them; at most one
        // open per listing source record; the overdue report reads the open ones by review deadline
        """
        CREATE TABLE disputes (
            id TEXT PRIMARY KEY, agency_code TEXT NOT NULL, listing_source_record_id TEXT NOT NULL, source_record_id TEXT NOT NULL,
            revision INTEGER NOT NULL, kind TEXT NOT NULL, subject_id TEXT NOT NULL, listing_id TEXT NOT NULL, filed_on TEXT NOT NULL,
            review_deadline TEXT NULL, opened_at TEXT NOT NULL, resolved_at TEXT NULL, outcome TEXT NULL, decided_on TEXT NULL,
            resolution_source_record_id TEXT NULL);
        CREATE UNIQUE INDEX ux_disputes_open ON disputes (agency_code, listing_source_record_id) WHERE resolved_at IS NULL;
        CREATE INDEX ix_disputes_listing ON disputes (listing_source_record_id);
        CREATE INDEX ix_disputes_review ON disputes (review_deadline, id) WHERE review_deadline IS NOT NULL;
        """,
        // 10: subscriptions made through the operator API, each subscriber queue as the Hub last bound it, webhook
        // deliveries that failed for good (for operators to send again), the webhook deliveries waiting on a Hub without a
        // broker (the embedded default: one row per event and webhook subscriber, delivered in id order per agency), and
        // the receipts subscribers owe for ended listings
        """
        CREATE TABLE subscriptions (
            agency_code TEXT PRIMARY KEY, delivery TEXT NOT NULL, webhook_url TEXT NULL, filter TEXT NOT NULL, webhook_secret TEXT NULL,
            updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
        CREATE TABLE subscriber_queues (
            agency_code TEXT PRIMARY KEY, queue TEXT NOT NULL, binding_keys TEXT NOT NULL, synced_at TEXT NOT NULL, recreated_at TEXT NULL);
        CREATE TABLE webhook_dead_letters (
            id TEXT PRIMARY KEY, agency_code TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, event_kind TEXT NOT NULL,
            routing_key TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL, last_status INTEGER NULL, last_error TEXT NOT NULL,
            failed_at TEXT NOT NULL, resent_at TEXT NULL, resent_by TEXT NULL);
        CREATE INDEX ix_webhook_dead_letters_agency ON webhook_dead_letters (agency_code, failed_at);
        CREATE TABLE webhook_deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT, agency_code TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
            event_kind TEXT NOT NULL, routing_key TEXT NOT NULL, body TEXT NOT NULL, enqueued_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, first_attempt_at TEXT NULL);
        CREATE UNIQUE INDEX ux_webhook_deliveries_event ON webhook_deliveries (agency_code, event_id);
        CREATE INDEX ix_webhook_deliveries_agency ON webhook_deliveries (agency_code, id);
        CREATE TABLE removal_receipts (
            agency_code TEXT NOT NULL, listing_id TEXT NOT NULL, event_id TEXT NOT NULL, subject_id TEXT NOT NULL, status TEXT NOT NULL,
            published_at TEXT NOT NULL, deadline TEXT NOT NULL, acknowledged_at TEXT NULL, PRIMARY KEY (agency_code, listing_id));
        CREATE INDEX ix_removal_receipts_pending ON removal_receipts (deadline) WHERE acknowledged_at IS NULL;
        CREATE INDEX ix_removal_receipts_late ON removal_receipts (deadline) WHERE acknowledged_at > deadline;
        """,
        // 11: every whole resident ID number also under its masked form (digits 11-14 hidden), the weak key public lists
        // carry: a notice with only the masked number finds the person the index knows with the whole one
        """
        INSERT INTO subject_identifiers (scheme, value, subject_id, strong, created_at)
        SELECT 'ric-masked', substr(value, 1, 10) || '****' || substr(value, 15, 4), subject_id, 0, created_at
        FROM subject_identifiers WHERE subject_identifiers.scheme = 'ric' AND subject_identifiers.strong = 1
          AND NOT EXISTS (SELECT 1 FROM subject_identifiers m WHERE m.subject_id = subject_identifiers.subject_id AND m.scheme = 'ric-masked'
                          AND m.value = substr(subject_identifiers.value, 1, 10) || '****' || substr(subject_identifiers.value, 15, 4));
        -- persons known by their whole number are also found by name and birth date: candidates for a review only
        INSERT INTO subject_identifiers (scheme, value, subject_id, strong, created_at)
        SELECT 'name-birth', s.normalized_name || '|' || substr(i.value, 7, 4) || '-' || substr(i.value, 11, 2) || '-' || substr(i.value, 13, 2),
               i.subject_id, 0, i.created_at
        FROM subject_identifiers i JOIN subjects s ON s.id = i.subject_id
        WHERE i.scheme = 'ric' AND i.strong = 1
          AND NOT EXISTS (SELECT 1 FROM subject_identifiers m WHERE m.subject_id = i.subject_id AND m.scheme = 'name-birth');
        -- pairs of subjects that may be one, for an operator to judge; the judgement is kept and reused
        CREATE TABLE IF NOT EXISTS match_reviews (
            id text PRIMARY KEY, subject_a text NOT NULL, subject_b text NOT NULL, kind text NOT NULL, score double precision NOT NULL,
            evidence text NOT NULL, status text NOT NULL, created_at TEXT NOT NULL, decided_at TEXT NULL, decided_by text NULL, note text NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_match_reviews_pair ON match_reviews (subject_a, subject_b);
        CREATE INDEX IF NOT EXISTS ix_match_reviews_b ON match_reviews (subject_b);
        CREATE INDEX IF NOT EXISTS ix_match_reviews_status ON match_reviews (status, created_at);
        -- a merged-away subject resolves to the one it was merged into; deleting the row splits them again
        CREATE TABLE IF NOT EXISTS subject_merges (
            merged_id text PRIMARY KEY, into_id text NOT NULL, merged_at TEXT NOT NULL, merged_by text NOT NULL, review_id text NULL,
            repointed text NOT NULL, moved text NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_subject_merges_into ON subject_merges (into_id);
        -- name search: persons by their normalised name, organisations by their core name (computed by the Hub: those
        -- stored before get it from a backfill); partial, so that each subject written updates one of them only
        ALTER TABLE subjects ADD COLUMN core_name text NULL;
        CREATE INDEX IF NOT EXISTS ix_subjects_person_name ON subjects (normalized_name) WHERE kind = 'Person';
        CREATE INDEX IF NOT EXISTS ix_subjects_core_name ON subjects (core_name) WHERE kind = 'Organization';
        """,
        // 12: the operator console — what an operator decided about a quarantined record (released: applied again through
        // the aggregator, released_at set on the quarantine row; rejected for good, with the reason), and the heartbeat
        // of every Hub process (one row per instance, its last sign of life)
        """
        CREATE TABLE IF NOT EXISTS quarantine_decisions (
            quarantine_id TEXT PRIMARY KEY, decision TEXT NOT NULL, decided_at TEXT NOT NULL, decided_by TEXT NOT NULL,
            note TEXT NULL, outcome TEXT NULL);
        CREATE TABLE IF NOT EXISTS hub_instances (
            instance_id TEXT PRIMARY KEY, services TEXT NOT NULL, host TEXT NOT NULL, version TEXT NOT NULL, process_id INTEGER NOT NULL,
            started_at TEXT NOT NULL, last_seen_at TEXT NOT NULL);
        """,
        // 13: data quality — one row per record the aggregator judged (its outcome as on the audit log: applied, held,
        // duplicate, quarantined with the reason code), with the publisher's province, the subject, the record's decision
        // date, when it was sent and applied, the issued listings it wrote, and the first event it raised, which the relay
        // marks relayed; the console reads figures per agency and period from it, set-based, by time and by agency; and the
        // console's index of the error queues
        """
        CREATE TABLE IF NOT EXISTS record_intake (
            at TEXT NOT NULL, sent_at TEXT NULL, agency_code TEXT NULL, province TEXT NULL, kind TEXT NOT NULL, outcome TEXT NOT NULL,
            reason_code TEXT NULL, subject_id TEXT NULL, decision_date TEXT NULL, listings INTEGER NOT NULL, event_id TEXT NULL, relayed_at TEXT NULL);
        CREATE INDEX IF NOT EXISTS ix_record_intake_at ON record_intake (at);
        CREATE INDEX IF NOT EXISTS ix_record_intake_agency ON record_intake (agency_code, at);
        CREATE INDEX IF NOT EXISTS ix_record_intake_event ON record_intake (event_id) WHERE event_id IS NOT NULL AND relayed_at IS NULL;
        -- the error queues as the console knows them: one row per message the aggregator moved there (the move writes it,
        -- a replay or discard deletes it), so the failed-messages view groups without reading the queue
        CREATE TABLE IF NOT EXISTS failed_messages (
            queue TEXT NOT NULL, message_id TEXT NOT NULL, group_id TEXT NOT NULL, message_type TEXT NULL, exception_type TEXT NOT NULL,
            cause TEXT NOT NULL, reason TEXT NOT NULL, agency_code TEXT NULL, publisher_user TEXT NULL, source_record_id TEXT NULL, revision INTEGER NULL,
            failed_at TEXT NULL, replays INTEGER NOT NULL, indexed_at TEXT NOT NULL, PRIMARY KEY (queue, message_id));
        CREATE INDEX IF NOT EXISTS ix_failed_messages_group ON failed_messages (queue, group_id);
        """,
        // 14: the organisations still without a core name, for the backfill that runs at every start: an index of none
        // once they all have one (new ones get it when written), instead of a scan of every subject at every start — at
        // ten million subjects that scan outlasted the command timeout and was retried for ever
        """
        CREATE INDEX IF NOT EXISTS ix_subjects_core_missing ON subjects (id) WHERE kind = 'Organization' AND core_name IS NULL;
        """,
        // 15: the bulk path's error queue indexed beside the single-record path's: a failed batch counts its records
        """
        ALTER TABLE failed_messages ADD COLUMN records INTEGER NULL;
        """,
        // 16: the subjects whose normalised name still carries a separator dot that names' normal form now drops (买买提·艾力
        // is stored as 买买提艾力), for the backfill that runs at every start to store them again: an index of none once it
        // has (new subjects are written without), as the core names' in 14; the name is normalised again in .NET
        $"""
        CREATE INDEX IF NOT EXISTS ix_subjects_name_separator ON subjects (id) WHERE {IndexSql.NameWithSeparator};
        """,
        // 17: a subject's identifiers by subject and scheme, replacing the index by subject alone, as PostgreSQL's 18 (where
        // stale statistics made the planner read every whole number for each probe of one subject's)
        """
        CREATE INDEX IF NOT EXISTS ix_subject_identifiers_subject_scheme ON subject_identifiers (subject_id, scheme);
        DROP INDEX IF EXISTS ix_subject_identifiers_subject;
        """,
    ];
}
