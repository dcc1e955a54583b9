using System.Data.Common;
using Npgsql;

namespace Hub.Storage.Postgres;

public sealed class PostgresDialect : ISqlDialect
{
    public string Name => "postgres";
    public DbConnection CreateConnection(string connectionString) => new NpgsqlConnection(connectionString);
    public IReadOnlyList<string> Migrations => PostgresSchema.Migrations;
    public string? MigrationLockSql => "SELECT pg_advisory_xact_lock(72201102)";
    public string? DatabaseSetupSql => null;
    public string? ConnectionSetupSql => null;

    /// <remarks>
    /// The aggregator's transactions run short statements over a few hundred keys, for which the JIT compiler is all
    /// cost: with the default <c>jit_above_cost</c> it compiled the batch reads on every call, about a fifth of the
    /// database's CPU per record (docs/BENCHMARKS.md). <c>SET LOCAL</c> rather than a startup option: PgBouncer
    /// refuses unknown startup options. One round trip per transaction (Npgsql sends the deferred <c>BEGIN</c> with it).
    /// </remarks>
    public string? TransactionSetupSql => "SET LOCAL jit = off";

    /// <summary>Appends to the audit chain take turns across every Hub process: each reads the head and writes after it.</summary>
    public string? AuditLockSql => "SELECT pg_advisory_xact_lock(72201103)";
    public string InList(string parameter) => $"= ANY(@{parameter})";
    public string NotInList(string parameter) => $"<> ALL(@{parameter})";

    /// <remarks>
    /// <c>col = ANY(@keys)</c> lets the planner choose, and on a young table (no statistics yet, or tens of thousands
    /// of rows) it scans the whole table for a few hundred keys: 17 ms instead of 1 ms per batch (docs/BENCHMARKS.md).
    /// One index probe per key, whatever the statistics say: the keys are the outer side of a nested loop, and
    /// <c>OFFSET 0</c> keeps the planner from flattening the lateral subquery into a hash join.
    /// </remarks>
    public string ForEachKey(string parameter, string query) =>
        $"SELECT t.* FROM unnest(@{parameter}) AS k(key) CROSS JOIN LATERAL ({query.Replace("{key}", "= k.key", StringComparison.Ordinal)} OFFSET 0) AS t";
    /// <remarks><c>OFFSET 0</c> keeps the planner from pulling the subquery up, which would copy the expression (an
    /// identifier's probe) into every place that refers to <c>k.id</c>, each computed on its own.</remarks>
    public string OneRow(string expression) => $"(SELECT {expression} AS id OFFSET 0) k";
    public string LockSkipLocked => " FOR UPDATE SKIP LOCKED";

    /// <remarks>
    /// Npgsql prepares a statement once it ran <see cref="AutoPrepareMinUsages"/> times on a connection, and keeps it
    /// prepared across the pool's reuse of the connection: PostgreSQL then neither parses nor plans it again. Used only for
    /// the paths named on the interface, whose statements were checked to keep index probes as generic plans
    /// (docs/BENCHMARKS.md, checks before granting); the aggregator's batches are planned per call, as before. A string
    /// that already sets <c>Max Auto Prepare</c> (<c>0</c>: no preparation) is kept as given. Behind PgBouncer in transaction mode this needs
    /// PgBouncer 1.21 or later with <c>max_prepared_statements</c> set.
    /// </remarks>
    public string PreparingConnectionString(string connectionString)
    {
        // as given when it says anything about preparation, Max Auto Prepare=0 (none) included
        if (new DbConnectionStringBuilder { ConnectionString = connectionString }.ContainsKey("Max Auto Prepare")) return connectionString;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.MaxAutoPrepare = AutoPrepareSlots;
        builder.AutoPrepareMinUsages = AutoPrepareMinUsages;
        return builder.ConnectionString;
    }

    internal const int AutoPrepareSlots = 64;
    internal const int AutoPrepareMinUsages = 2;
    public int MaxParameters => 30_000;
}

internal static class PostgresSchema
{
    public static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE subjects (
            id text PRIMARY KEY, kind text NOT NULL, display_name text NOT NULL, normalized_name text NOT NULL,
            home_region text NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
        CREATE TABLE subject_identifiers (
            scheme text NOT NULL, value text NOT NULL, subject_id text NOT NULL REFERENCES subjects(id),
            strong boolean NOT NULL, created_at timestamptz NOT NULL);
        CREATE UNIQUE INDEX ux_subject_identifiers_strong ON subject_identifiers (scheme, value) WHERE strong;
        CREATE INDEX ix_subject_identifiers_value ON subject_identifiers (value);
        CREATE INDEX ix_subject_identifiers_subject ON subject_identifiers (subject_id);
        CREATE TABLE relations (
            id text PRIMARY KEY, organization_id text NOT NULL REFERENCES subjects(id), person_id text NOT NULL REFERENCES subjects(id),
            role text NOT NULL, valid_from date NOT NULL, valid_to date NULL,
            agency_code text NOT NULL, source_record_id text NOT NULL, recorded_at timestamptz NOT NULL);
        CREATE INDEX ix_relations_organization ON relations (organization_id);
        CREATE INDEX ix_relations_person ON relations (person_id);
        CREATE TABLE records (
            id bigserial PRIMARY KEY, agency_code text NOT NULL, source_record_id text NOT NULL, revision integer NOT NULL,
            kind text NOT NULL, message_id text NULL, legal_basis text NOT NULL, catalogue_version text NOT NULL,
            payload text NOT NULL, received_at timestamptz NOT NULL,
            UNIQUE (agency_code, source_record_id, revision, kind));
        CREATE INDEX ix_records_source ON records (source_record_id);
        CREATE TABLE listings (
            id text PRIMARY KEY, subject_id text NOT NULL REFERENCES subjects(id), list_type text NOT NULL,
            legal_basis text NOT NULL, catalogue_version text NOT NULL, origin_agency text NOT NULL, origin_province text NOT NULL,
            source_record_id text NOT NULL, source_revision integer NOT NULL, reference text NOT NULL,
            valid_from date NOT NULL, valid_until date NULL, status text NOT NULL, status_reason text NULL, ended_on date NULL,
            recorded_at timestamptz NOT NULL, superseded_at timestamptz NULL,
            parent_listing_id text NULL REFERENCES listings(id), imputed_role text NULL);
        CREATE INDEX ix_listings_subject ON listings (subject_id);
        CREATE INDEX ix_listings_source ON listings (source_record_id, origin_agency);
        CREATE TABLE inbox (message_id text PRIMARY KEY, received_at timestamptz NOT NULL);
        CREATE TABLE outbox (
            id bigserial PRIMARY KEY, message_type text NOT NULL, payload text NOT NULL,
            created_at timestamptz NOT NULL, published_at timestamptz NULL);
        CREATE INDEX ix_outbox_pending ON outbox (id) WHERE published_at IS NULL;
        CREATE TABLE quarantine (
            id text PRIMARY KEY, agency_code text NULL, source_record_id text NULL, revision integer NULL, kind text NOT NULL,
            reason_code text NOT NULL, reason text NOT NULL, payload text NOT NULL, message_id text NULL,
            received_at timestamptz NOT NULL, released_at timestamptz NULL);
        CREATE INDEX ix_quarantine_agency ON quarantine (agency_code, received_at);
        """,
        // 2: the relay publishes events about different subjects at once and those about one subject in order
        """
        ALTER TABLE outbox ADD COLUMN ordering_key text NULL;
        """,
        // 3: keys compare bytewise. Under the cluster's default collation (e.g. C.UTF-8, en_US.UTF-8) every index
        // probe and foreign-key check on a text key went through strcoll; codes and ids have no linguistic order.
        """
        ALTER TABLE subjects ALTER COLUMN id TYPE text COLLATE "C";
        ALTER TABLE subject_identifiers ALTER COLUMN scheme TYPE text COLLATE "C", ALTER COLUMN value TYPE text COLLATE "C",
            ALTER COLUMN subject_id TYPE text COLLATE "C";
        ALTER TABLE relations ALTER COLUMN id TYPE text COLLATE "C", ALTER COLUMN organization_id TYPE text COLLATE "C",
            ALTER COLUMN person_id TYPE text COLLATE "C", ALTER COLUMN role TYPE text COLLATE "C";
        ALTER TABLE records ALTER COLUMN agency_code TYPE text COLLATE "C", ALTER COLUMN source_record_id TYPE text COLLATE "C",
            ALTER COLUMN kind TYPE text COLLATE "C";
        ALTER TABLE listings ALTER COLUMN id TYPE text COLLATE "C", ALTER COLUMN subject_id TYPE text COLLATE "C",
            ALTER COLUMN source_record_id TYPE text COLLATE "C", ALTER COLUMN origin_agency TYPE text COLLATE "C",
            ALTER COLUMN parent_listing_id TYPE text COLLATE "C", ALTER COLUMN status TYPE text COLLATE "C";
        ALTER TABLE inbox ALTER COLUMN message_id TYPE text COLLATE "C";
        ALTER TABLE quarantine ALTER COLUMN id TYPE text COLLATE "C", ALTER COLUMN agency_code TYPE text COLLATE "C";
        """,
        // 4: the audit log (a hash chain: each entry carries the hash of the one before) and hashed API keys
        """
        CREATE TABLE audit_log (
            seq bigint PRIMARY KEY, at timestamptz NOT NULL, principal text COLLATE "C" NOT NULL, agency_code text COLLATE "C" NULL,
            action text COLLATE "C" NOT NULL, scope text NULL, subject_id text COLLATE "C" NULL, outcome text NOT NULL,
            detail text NULL, channel text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL);
        CREATE INDEX ix_audit_log_subject ON audit_log (subject_id, seq) WHERE subject_id IS NOT NULL;
        CREATE TABLE api_keys (
            id text COLLATE "C" PRIMARY KEY, principal text COLLATE "C" NOT NULL, key_hash text COLLATE "C" NOT NULL UNIQUE,
            label text NULL, created_at timestamptz NOT NULL, created_by text NOT NULL, revoked_at timestamptz NULL);
        """,
        // 5: a refused record waits in quarantine once per (agency, source id, revision, kind): a resent file finds the
        // row it left before. Duplicates left by earlier builds go (the earliest received stays); a released row no
        // longer counts, so a record resent after its release is quarantined anew. Rows without a key stay, every one.
        """
        ALTER TABLE quarantine ALTER COLUMN source_record_id TYPE text COLLATE "C", ALTER COLUMN kind TYPE text COLLATE "C";
        CREATE INDEX ix_quarantine_source ON quarantine (source_record_id) WHERE released_at IS NULL;
        DELETE FROM quarantine q
        WHERE q.released_at IS NULL AND trim(q.source_record_id) <> '' AND EXISTS (
            SELECT 1 FROM quarantine e
            WHERE e.released_at IS NULL AND e.agency_code = q.agency_code AND e.source_record_id = q.source_record_id
              AND e.revision = q.revision AND e.kind = q.kind AND (e.received_at, e.id) < (q.received_at, q.id));
        CREATE UNIQUE INDEX ux_quarantine_waiting ON quarantine (agency_code, source_record_id, revision, kind)
            WHERE released_at IS NULL AND agency_code IS NOT NULL AND source_record_id IS NOT NULL AND revision IS NOT NULL
              AND trim(source_record_id) <> '';
        """,
        // 6: a court's removal that arrives before the listing it ends waits for it, until a deadline
        """
        CREATE TABLE held_removals (
            id text COLLATE "C" PRIMARY KEY, agency_code text COLLATE "C" NOT NULL, source_record_id text COLLATE "C" NOT NULL,
            revision integer NOT NULL, listing_source_record_id text COLLATE "C" NOT NULL, kind text COLLATE "C" NOT NULL,
            message_id text NULL, payload text NOT NULL, received_at timestamptz NOT NULL, deadline timestamptz NOT NULL);
        CREATE UNIQUE INDEX ux_held_removals_record ON held_removals (agency_code, source_record_id, revision, kind);
        CREATE INDEX ix_held_removals_listing ON held_removals (listing_source_record_id);
        CREATE INDEX ix_held_removals_deadline ON held_removals (deadline, id);
        """,
        // 7: listings end when their term runs out, without anyone acting: the expiry sweep reads the active listings
        // by the end of their term, and the imputed listings of the ones it ends; one Hub process sweeps at a time,
        // holding a lease
        """
        -- valid_until IS NOT NULL: a query by source id "AND status = 'active'" must not match this index (the planner
        -- took it for the aggregator's batch read on a young table and scanned every active listing: 200 ms a batch)
        CREATE INDEX ix_listings_expiry ON listings (valid_until, id) WHERE status = 'active' AND valid_until IS NOT NULL;
        CREATE INDEX ix_listings_parent ON listings (parent_listing_id) WHERE parent_listing_id IS NOT NULL;
        CREATE TABLE leases (name text COLLATE "C" PRIMARY KEY, holder text COLLATE "C" NOT NULL, expires_at timestamptz NOT NULL);
        """,
        // 8: retention prunes the inbox by age, oldest first
        """
        CREATE INDEX ix_inbox_received ON inbox (received_at);
        """,
        // 9: a court's removal must take effect and be published within 3 working days: each applied removal, when it
        // was received, its deadline, and when its SubjectDelisted went out (the relay sets published_at by event id)
        """
        CREATE TABLE removal_deadlines (
            id text COLLATE "C" PRIMARY KEY, agency_code text COLLATE "C" NOT NULL, source_record_id text COLLATE "C" NOT NULL,
            revision integer NOT NULL, listing_id text COLLATE "C" NOT NULL, event_id text COLLATE "C" NOT NULL,
            received_at timestamptz NOT NULL, deadline timestamptz NOT NULL, published_at timestamptz NULL);
        CREATE UNIQUE INDEX ux_removal_deadlines_event ON removal_deadlines (event_id);
        CREATE INDEX ix_removal_deadlines_pending ON removal_deadlines (deadline, id) WHERE published_at IS NULL;
        CREATE INDEX ix_removal_deadlines_received ON removal_deadlines (received_at);
        """,
        // 10: disputes of listings (correction requests and appeals), open until their issuer decides them; at most one
        // open per listing source record; the overdue report reads the open ones by review deadline
        """
        CREATE TABLE disputes (
            id text COLLATE "C" PRIMARY KEY, agency_code text COLLATE "C" NOT NULL, listing_source_record_id text COLLATE "C" NOT NULL,
            source_record_id text COLLATE "C" NOT NULL, revision integer NOT NULL, kind text NOT NULL, subject_id text COLLATE "C" NOT NULL,
            listing_id text COLLATE "C" NOT NULL, filed_on date NOT NULL, review_deadline date NULL, opened_at timestamptz NOT NULL,
            resolved_at timestamptz NULL, outcome text NULL, decided_on date NULL, resolution_source_record_id text NULL);
        CREATE UNIQUE INDEX ux_disputes_open ON disputes (agency_code, listing_source_record_id) WHERE resolved_at IS NULL;
        CREATE INDEX ix_disputes_listing ON disputes (listing_source_record_id);
        CREATE INDEX ix_disputes_review ON disputes (review_deadline, id) WHERE review_deadline IS NOT NULL;
        """,
        // 11: subscriptions made through the operator API, each subscriber queue as the Hub last bound it, webhook
        // deliveries that failed for good (for operators to send again), the webhook deliveries waiting on a Hub without a
        // broker (the embedded default: one row per event and webhook subscriber, delivered in id order per agency), and
        // the receipts subscribers owe for ended listings
        """
        CREATE TABLE subscriptions (
            agency_code text COLLATE "C" PRIMARY KEY, delivery text NOT NULL, webhook_url text NULL, filter text NOT NULL,
            webhook_secret text NULL, updated_at timestamptz NOT NULL, updated_by text NOT NULL);
        CREATE TABLE subscriber_queues (
            agency_code text COLLATE "C" PRIMARY KEY, queue text NOT NULL, binding_keys text NOT NULL, synced_at timestamptz NOT NULL,
            recreated_at timestamptz NULL);
        CREATE TABLE webhook_dead_letters (
            id text COLLATE "C" PRIMARY KEY, agency_code text COLLATE "C" NOT NULL, event_id text COLLATE "C" NOT NULL, event_type text NOT NULL,
            event_kind text NOT NULL, routing_key text NOT NULL, body text NOT NULL, attempts integer NOT NULL, last_status integer NULL,
            last_error text NOT NULL, failed_at timestamptz NOT NULL, resent_at timestamptz NULL, resent_by text NULL);
        CREATE INDEX ix_webhook_dead_letters_agency ON webhook_dead_letters (agency_code, failed_at);
        CREATE TABLE webhook_deliveries (
            id bigserial PRIMARY KEY, agency_code text COLLATE "C" NOT NULL, event_id text COLLATE "C" NOT NULL, event_type text NOT NULL,
            event_kind text NOT NULL, routing_key text NOT NULL, body text NOT NULL, enqueued_at timestamptz NOT NULL,
            attempts integer NOT NULL DEFAULT 0, first_attempt_at timestamptz NULL);
        CREATE UNIQUE INDEX ux_webhook_deliveries_event ON webhook_deliveries (agency_code, event_id);
        CREATE INDEX ix_webhook_deliveries_agency ON webhook_deliveries (agency_code, id);
        CREATE TABLE removal_receipts (
            agency_code text COLLATE "C" NOT NULL, listing_id text COLLATE "C" NOT NULL, event_id text COLLATE "C" NOT NULL,
            subject_id text COLLATE "C" NOT NULL, status text NOT NULL, published_at timestamptz NOT NULL, deadline timestamptz NOT NULL,
            acknowledged_at timestamptz NULL, PRIMARY KEY (agency_code, listing_id));
        CREATE INDEX ix_removal_receipts_pending ON removal_receipts (deadline) WHERE acknowledged_at IS NULL;
        CREATE INDEX ix_removal_receipts_late ON removal_receipts (deadline) WHERE acknowledged_at > deadline;
        """,
        // 12: every whole resident ID number also under its masked form (digits 11-14 hidden), the weak key public lists
        // carry: a notice with only the masked number finds the person the index knows with the whole one
        """
        INSERT INTO subject_identifiers (scheme, value, subject_id, strong, created_at)
        SELECT 'ric-masked', substr(value, 1, 10) || '****' || substr(value, 15, 4), subject_id, false, created_at
        FROM subject_identifiers WHERE subject_identifiers.scheme = 'ric' AND subject_identifiers.strong
          AND NOT EXISTS (SELECT 1 FROM subject_identifiers m WHERE m.subject_id = subject_identifiers.subject_id AND m.scheme = 'ric-masked'
                          AND m.value = substr(subject_identifiers.value, 1, 10) || '****' || substr(subject_identifiers.value, 15, 4));
        -- persons known by their whole number are also found by name and birth date: candidates for a review only
        INSERT INTO subject_identifiers (scheme, value, subject_id, strong, created_at)
        SELECT 'name-birth', s.normalized_name || '|' || substr(i.value, 7, 4) || '-' || substr(i.value, 11, 2) || '-' || substr(i.value, 13, 2),
               i.subject_id, false, i.created_at
        FROM subject_identifiers i JOIN subjects s ON s.id = i.subject_id
        WHERE i.scheme = 'ric' AND i.strong
          AND NOT EXISTS (SELECT 1 FROM subject_identifiers m WHERE m.subject_id = i.subject_id AND m.scheme = 'name-birth');
        -- pairs of subjects that may be one, for an operator to judge; the judgement is kept and reused
        CREATE TABLE IF NOT EXISTS match_reviews (
            id text COLLATE "C" PRIMARY KEY, subject_a text COLLATE "C" NOT NULL, subject_b text COLLATE "C" NOT NULL, kind text NOT NULL, score double precision NOT NULL,
            evidence text NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL, decided_at timestamptz NULL, decided_by text NULL, note text NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_match_reviews_pair ON match_reviews (subject_a, subject_b);
        CREATE INDEX IF NOT EXISTS ix_match_reviews_b ON match_reviews (subject_b);
        CREATE INDEX IF NOT EXISTS ix_match_reviews_status ON match_reviews (status, created_at);
        -- a merged-away subject resolves to the one it was merged into; deleting the row splits them again
        CREATE TABLE IF NOT EXISTS subject_merges (
            merged_id text COLLATE "C" PRIMARY KEY, into_id text COLLATE "C" NOT NULL, merged_at timestamptz NOT NULL, merged_by text NOT NULL, review_id text NULL,
            repointed text NOT NULL, moved text NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_subject_merges_into ON subject_merges (into_id);
        -- name search: persons by their normalised name, organisations by their core name (computed by the Hub: those
        -- stored before get it from a backfill); partial, so that each subject written updates one of them only
        ALTER TABLE subjects ADD COLUMN core_name text NULL;
        CREATE INDEX IF NOT EXISTS ix_subjects_person_name ON subjects (normalized_name) WHERE kind = 'Person';
        CREATE INDEX IF NOT EXISTS ix_subjects_core_name ON subjects (core_name) WHERE kind = 'Organization';
        """,
        // 13: the operator console — what an operator decided about a quarantined record (released: applied again through
        // the aggregator, released_at set on the quarantine row; rejected for good, with the reason), and the heartbeat
        // of every Hub process (one row per instance, its last sign of life)
        """
        CREATE TABLE IF NOT EXISTS quarantine_decisions (
            quarantine_id text COLLATE "C" PRIMARY KEY, decision text NOT NULL, decided_at timestamptz NOT NULL, decided_by text NOT NULL,
            note text NULL, outcome text NULL);
        CREATE TABLE IF NOT EXISTS hub_instances (
            instance_id text COLLATE "C" PRIMARY KEY, services text NOT NULL, host text NOT NULL, version text NOT NULL, process_id integer NOT NULL,
            started_at timestamptz NOT NULL, last_seen_at timestamptz NOT NULL);
        """,
        // 14: data quality — one row per record the aggregator judged (its outcome as on the audit log: applied, held,
        // duplicate, quarantined with the reason code), with the publisher's province, the subject, the record's decision
        // date, when it was sent and applied, the issued listings it wrote, and the first event it raised, which the relay
        // marks relayed; the console reads figures per agency and period from it, set-based, by time and by agency; and the
        // console's index of the error queues
        """
        CREATE TABLE IF NOT EXISTS record_intake (
            at timestamptz NOT NULL, sent_at timestamptz NULL, agency_code text COLLATE "C" NULL, province text NULL, kind text NOT NULL, outcome text NOT NULL,
            reason_code text NULL, subject_id text NULL, decision_date date NULL, listings integer NOT NULL, event_id text COLLATE "C" NULL, relayed_at timestamptz NULL);
        CREATE INDEX IF NOT EXISTS ix_record_intake_at ON record_intake (at);
        CREATE INDEX IF NOT EXISTS ix_record_intake_agency ON record_intake (agency_code, at);
        CREATE INDEX IF NOT EXISTS ix_record_intake_event ON record_intake (event_id) WHERE event_id IS NOT NULL AND relayed_at IS NULL;
        -- the error queues as the console knows them: one row per message the aggregator moved there (the move writes it,
        -- a replay or discard deletes it), so the failed-messages view groups without reading the queue
        CREATE TABLE IF NOT EXISTS failed_messages (
            queue text COLLATE "C" NOT NULL, message_id text COLLATE "C" NOT NULL, group_id text COLLATE "C" NOT NULL, message_type text NULL, exception_type text NOT NULL,
            cause text NOT NULL, reason text NOT NULL, agency_code text NULL, publisher_user text NULL, source_record_id text NULL, revision integer NULL,
            failed_at timestamptz NULL, replays integer NOT NULL, indexed_at timestamptz NOT NULL, PRIMARY KEY (queue, message_id));
        CREATE INDEX IF NOT EXISTS ix_failed_messages_group ON failed_messages (queue, group_id);
        """,
        // 15: the organisations still without a core name, for the backfill that runs at every start: an index of none
        // once they all have one (new ones get it when written), instead of a scan of every subject at every start — at
        // ten million subjects that scan outlasted the command timeout and was retried for ever
        """
        CREATE INDEX IF NOT EXISTS ix_subjects_core_missing ON subjects (id) WHERE kind = 'Organization' AND core_name IS NULL;
        """,
        // 16: the bulk path's error queue indexed beside the single-record path's: a failed batch counts its records
        """
        ALTER TABLE failed_messages ADD COLUMN IF NOT EXISTS records integer NULL;
        """,
        // 17: the subjects whose normalised name still carries a separator dot that names' normal form now drops (买买提·艾力
        // is stored as 买买提艾力), for the backfill that runs at every start to store them again: an index of none once it
        // has (new subjects are written without), as the core names' in 15; the name is normalised again in .NET
        $"""
        CREATE INDEX IF NOT EXISTS ix_subjects_name_separator ON subjects (id) WHERE {IndexSql.NameWithSeparator};
        """,
        // 18: a subject's identifiers by subject and scheme (its whole ID number, its masked one), replacing the index by
        // subject alone. With only that one, statistics taken while the index was young (few subjects, few whole numbers)
        // made the planner probe "this subject's whole number" through ux_subject_identifiers_strong (scheme, value): every
        // whole number in the index read for each probe, O(N) a probe, until autovacuum analysed the table again — a
        // fresh index's first bulk load ran at a third of its speed (docs/BENCHMARKS.md). Both equalities in one index
        // leave the planner no cheaper path, whatever the statistics say.
        """
        CREATE INDEX IF NOT EXISTS ix_subject_identifiers_subject_scheme ON subject_identifiers (subject_id, scheme);
        DROP INDEX IF EXISTS ix_subject_identifiers_subject;
        """,
    ];
}
