namespace Hub.Storage;

/// <summary>
/// The statements both dialects share, built once per dialect: they differ only in how a list parameter is matched
/// (SQLite: one JSON array parameter read by <c>json_each</c>; PostgreSQL: one array parameter, <c>= ANY(@Ids)</c>, or one index probe per key
/// for the aggregator's batch reads, see <see cref="ISqlDialect.ForEachKey"/>). Values always travel as parameters.
/// </summary>
internal sealed class IndexSql(ISqlDialect dialect)
{
    public string SchemaVersionTable { get; } =
        "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at text NOT NULL)";
    public string CurrentVersion { get; } = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
    public string RecordVersion { get; } = "INSERT INTO schema_version (version, applied_at) VALUES (@Version, @AppliedAt)";

    public string SeenMessages { get; } = $"SELECT message_id FROM inbox WHERE message_id {dialect.InList("Ids")}";
    public string RecordsBySource { get; } = dialect.ForEachKey("Ids",
        "SELECT agency_code, source_record_id, revision, kind FROM records WHERE source_record_id {key}");
    /// <summary>Quarantine rows not released yet for these source record ids (any agency, revision or kind): a
    /// refused record that is still waiting keeps its row.</summary>
    public string WaitingQuarantineBySource { get; } = dialect.ForEachKey("Ids",
        "SELECT id, agency_code, source_record_id, revision, kind FROM quarantine WHERE source_record_id {key} AND released_at IS NULL");
    /// <summary>Strong identifiers among @Values with their subject — the one it was merged into, if it was.</summary>
    public string StrongIdentifiers { get; } = dialect.ForEachKey("Values", """
        SELECT i.scheme, i.value, COALESCE(m.into_id, i.subject_id) AS subject_id, i.strong
        FROM subject_identifiers i LEFT JOIN subject_merges m ON m.merged_id = i.subject_id
        WHERE i.value {key} AND i.strong = @Strong
        """);
    /// <summary>Subjects carrying one of these weak keys (masked ID numbers, names with birth dates) — merged ones as the
    /// subject they were merged into — with their normalised name and whole number if known.</summary>
    public string WeakCandidates { get; } = dialect.ForEachKey("Values", """
        SELECT i.scheme, i.value, COALESCE(m.into_id, i.subject_id) AS subject_id, i.subject_id AS carrier_id, s.kind, s.normalized_name,
               (SELECT f.value FROM subject_identifiers f WHERE f.subject_id = i.subject_id AND f.scheme = 'ric' AND f.strong = @Strong LIMIT 1) AS full_number
        FROM subject_identifiers i JOIN subjects s ON s.id = i.subject_id LEFT JOIN subject_merges m ON m.merged_id = i.subject_id
        WHERE i.value {key} AND i.scheme IN ('ric-masked', 'name-birth')
        """);
    /// <summary>Active issued listings of these persons, and of the organisations they represent (any time), for
    /// relocation alerts.</summary>
    public string TiedListings { get; } = dialect.ForEachKey("Ids", """
        SELECT r.person_id, 'legal-representative' AS relation, l.id, l.subject_id, l.list_type, l.legal_basis, l.origin_agency, l.origin_province,
               l.status, l.valid_from, l.valid_until
        FROM relations r JOIN listings l ON l.subject_id = r.organization_id
        WHERE r.person_id {key} AND r.role = 'legal-representative' AND l.status = 'active' AND l.parent_listing_id IS NULL
        UNION ALL
        SELECT l.subject_id AS person_id, 'listed' AS relation, l.id, l.subject_id, l.list_type, l.legal_basis, l.origin_agency, l.origin_province,
               l.status, l.valid_from, l.valid_until
        FROM listings l
        WHERE l.subject_id {key} AND l.status = 'active' AND l.parent_listing_id IS NULL
        """);
    /// <summary>Active issued listings of the organisations with these core names (partial index ix_subjects_core_name;
    /// merged-away ones left out), each with the organisation's current legal representative (name, whole and masked
    /// number if known), for relocation alerts by name. An organisation without a current representative is left out.</summary>
    public string ListingsByCoreName { get; } = dialect.ForEachKey("Names", """
        SELECT s.core_name, s.id AS subject_id, s.display_name, s.home_region, r.person_id AS representative_id, p.normalized_name AS representative_name,
               (SELECT f.value FROM subject_identifiers f WHERE f.subject_id = r.person_id AND f.scheme = 'ric' AND f.strong = @Strong LIMIT 1) AS representative_number,
               (SELECT f.value FROM subject_identifiers f WHERE f.subject_id = r.person_id AND f.scheme = 'ric-masked' LIMIT 1) AS representative_masked,
               l.id, l.list_type, l.legal_basis, l.origin_agency, l.origin_province, l.status, l.valid_from, l.valid_until
        FROM subjects s
        JOIN listings l ON l.subject_id = s.id AND l.status = 'active' AND l.parent_listing_id IS NULL
        JOIN relations r ON r.organization_id = s.id AND r.role = 'legal-representative' AND r.valid_to IS NULL
        JOIN subjects p ON p.id = r.person_id
        WHERE s.core_name {key} AND s.kind = 'Organization'
          AND NOT EXISTS (SELECT 1 FROM subject_merges m WHERE m.merged_id = s.id)
        """);
    /// <summary>Reviews already made of pairs involving these subjects (either side).</summary>
    public string ReviewsOfSubjects { get; } = $"SELECT * FROM match_reviews WHERE subject_a {dialect.InList("Ids")} OR subject_b {dialect.InList("Ids")}";
    public string ActiveListingsBySource { get; } = dialect.ForEachKey("Ids",
        "SELECT * FROM listings WHERE source_record_id {key} AND status = 'active'");
    /// <summary>Every legal-representative relation of these organisations, open and ended, with the person.</summary>
    public string Representatives { get; } = dialect.ForEachKey("Ids", """
        SELECT r.organization_id, r.person_id, s.normalized_name, s.display_name, r.valid_from, r.valid_to,
               (SELECT f.value FROM subject_identifiers f WHERE f.subject_id = r.person_id AND f.scheme = 'ric' AND f.strong = @Strong LIMIT 1) AS full_number
        FROM relations r JOIN subjects s ON s.id = r.person_id
        WHERE r.organization_id {key} AND r.role = 'legal-representative'
        """);
    public string HeldRemovalsByListing { get; } = dialect.ForEachKey("Ids",
        "SELECT * FROM held_removals WHERE listing_source_record_id {key}");
    public string HeldRemovalsByDeadline { get; } = "SELECT * FROM held_removals ORDER BY deadline, id LIMIT @Limit";
    public string DeleteHeldRemovals { get; } = $"DELETE FROM held_removals WHERE id {dialect.InList("Ids")}";
    public string SubjectsById { get; } = $"SELECT * FROM subjects WHERE id {dialect.InList("Ids")}";
    public string EndListings { get; } = $"""
        UPDATE listings SET status = @Status, status_reason = @Reason, ended_on = @EndedOn, superseded_at = @At
        WHERE id {dialect.InList("Ids")} AND status = 'active'
        """;
    /// <summary>Active listings whose term ended before @Today (a date in China Standard Time), the earliest end first;
    /// locked for the transaction that ends them.</summary>
    public string ExpiringListings { get; } = $"""
        SELECT * FROM listings WHERE status = 'active' AND valid_until < @Today ORDER BY valid_until, id LIMIT @Limit{dialect.LockSkipLocked}
        """;
    /// <summary>The active imputed listings of these listings, locked likewise.</summary>
    public string ActiveChildren { get; } = $"""
        SELECT * FROM listings WHERE parent_listing_id {dialect.InList("Ids")} AND status = 'active'{dialect.LockSkipLocked}
        """;
    /// <summary>Takes the lease, or renews it for its holder; another holder takes it only once it has lapsed. One row
    /// changed: held until @ExpiresAt.</summary>
    public string TakeLease { get; } = """
        INSERT INTO leases (name, holder, expires_at) VALUES (@Name, @Holder, @ExpiresAt)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leases.holder = excluded.holder OR leases.expires_at <= @Now
        """;
    public string ReleaseLease { get; } = "DELETE FROM leases WHERE name = @Name AND holder = @Holder";
    public string CloseRelations { get; } = $"""
        UPDATE relations SET valid_to = @ValidTo
        WHERE organization_id {dialect.InList("Ids")} AND role = @Role AND valid_to IS NULL
        """;

    /// <summary>For checks before granting: each subject with a strong identifier among @Values, with every listing it
    /// has (imputed ones with the subject their parent listing is about), one row per listing (or one with no listing).
    /// An organisation code counts only for a subject without a USCC (a company known by its old code alone).</summary>
    public string CheckByIdentifier { get; } = dialect.ForEachKey("Values", $$"""
        SELECT i.scheme AS key_scheme, i.value AS key_value, {{CheckColumns}}
        FROM subject_identifiers i JOIN subjects s ON s.id = i.subject_id{{CheckJoins}}
        WHERE i.value {key} AND i.strong = @Strong
          AND (i.scheme <> 'org-code' OR NOT EXISTS (SELECT 1 FROM subject_identifiers u WHERE u.subject_id = i.subject_id AND u.scheme = 'uscc'))
        """);
    /// <summary>For checks before granting: the subjects with these hub ids, as <see cref="CheckByIdentifier"/>.</summary>
    public string CheckByHubId { get; } = dialect.ForEachKey("Ids", $$"""
        SELECT 'hub-id' AS key_scheme, s.id AS key_value, {{CheckColumns}}
        FROM subjects s{{CheckJoins}}
        WHERE s.id {key}
        """);

    private const string CheckColumns = """
        s.id AS subject_id, s.kind AS subject_kind, s.display_name AS subject_name,
               l.id AS listing_id, l.list_type, l.legal_basis, l.catalogue_version, l.origin_agency, l.origin_province, l.reference,
               l.valid_from, l.valid_until, l.status, l.parent_listing_id, l.imputed_role,
               p.subject_id AS parent_subject_id, ps.display_name AS parent_subject_name
        """;
    private const string CheckJoins = """

        LEFT JOIN listings l ON l.subject_id = s.id
        LEFT JOIN listings p ON p.id = l.parent_listing_id
        LEFT JOIN subjects ps ON ps.id = p.subject_id
        """;

    /// <summary>A subject merged into another is read as that one.</summary>
    private const string ResolvedId = "COALESCE((SELECT into_id FROM subject_merges WHERE merged_id = @Id), @Id)";
    /// <summary>The subject an identifier belongs to (a strong one before a weak one of the same value), through a merge.</summary>
    private const string IdentifiedId = """
        (SELECT COALESCE((SELECT into_id FROM subject_merges WHERE merged_id = i.subject_id), i.subject_id)
         FROM subject_identifiers i WHERE i.scheme = @Scheme AND i.value = @Value ORDER BY i.strong DESC LIMIT 1)
        """;

    /// <summary>The subject view, by hub id (<c>@Id</c>): see <see cref="View"/>.</summary>
    public string SubjectView { get; } = View(dialect.OneRow(ResolvedId));
    /// <summary>The subject view, by an identifier (<c>@Scheme</c>, <c>@Value</c>): see <see cref="View"/>.</summary>
    public string SubjectViewByIdentifier { get; } = View(dialect.OneRow(IdentifiedId));

    /// <summary>
    /// The subject view in one round trip: the subject whose id the one-row table <paramref name="k"/> holds
    /// (<see cref="ISqlDialect.OneRow"/>), its identifiers, listings and
    /// relations (as <see cref="SubjectById"/>, <see cref="IdentifiersOf"/>, <see cref="ListingsOf"/> and
    /// <see cref="RelationsOf"/> read them), then one hop out: the subjects on the other side of its relations with their
    /// issued listings (not imputed ones), and every dispute of its listings' sources (as
    /// <see cref="DisputesOfListings"/>). Each statement finds the id once and probes by it.
    /// </summary>
    private static string View(string k) => $"""
        SELECT s.* FROM {k} JOIN subjects s ON s.id = k.id;
        SELECT i.scheme, i.value, i.subject_id, i.strong FROM {k} JOIN subject_identifiers i ON i.subject_id = k.id
        ORDER BY i.strong DESC, i.scheme;
        SELECT l.* FROM {k} JOIN listings l ON l.subject_id = k.id
        ORDER BY l.recorded_at, l.source_revision, l.parent_listing_id IS NOT NULL, l.id;
        SELECT r.* FROM {k} JOIN relations r ON r.organization_id = k.id OR r.person_id = k.id
        ORDER BY r.valid_from, r.recorded_at, r.valid_to IS NULL, r.id;
        SELECT * FROM subjects WHERE id IN ({OtherSides(k)});
        SELECT * FROM listings WHERE subject_id IN ({OtherSides(k)}) AND parent_listing_id IS NULL ORDER BY recorded_at, id;
        SELECT * FROM disputes WHERE listing_source_record_id IN
            (SELECT l.source_record_id FROM {k} JOIN listings l ON l.subject_id = k.id)
        """;

    /// <summary>The subjects on the other side of the relations of the subject <paramref name="k"/> holds.</summary>
    private static string OtherSides(string k) => $"""
        SELECT CASE WHEN r.organization_id = k.id THEN r.person_id ELSE r.organization_id END
        FROM {k} JOIN relations r ON r.organization_id = k.id OR r.person_id = k.id
        """;
    public string SubjectById { get; } = "SELECT * FROM subjects WHERE id = @Id";
    public string SubjectIdByIdentifier { get; } =
        "SELECT subject_id FROM subject_identifiers WHERE scheme = @Scheme AND value = @Value ORDER BY strong DESC LIMIT 1";
    /// <summary>The identifiers and the listings of several subjects (a name search's candidates), probing per subject.</summary>
    public string IdentifiersOfMany { get; } = dialect.ForEachKey("Ids", "SELECT scheme, value, subject_id, strong FROM subject_identifiers WHERE subject_id {key}");
    public string ListingsOfMany { get; } = dialect.ForEachKey("Ids", "SELECT * FROM listings WHERE subject_id {key}");
    public string IdentifiersOf { get; } = "SELECT scheme, value, subject_id, strong FROM subject_identifiers WHERE subject_id = @Id ORDER BY strong DESC, scheme";
    public string ListingsOf { get; } = "SELECT * FROM listings WHERE subject_id = @Id ORDER BY recorded_at, source_revision, parent_listing_id IS NOT NULL, id";
    /// <summary>The ledger rows of these source record ids (every revision and kind), without their payloads.</summary>
    public string RecordsOfSources { get; } = dialect.ForEachKey("Ids",
        "SELECT agency_code, source_record_id, revision, kind, message_id, legal_basis, catalogue_version, '' AS payload, received_at FROM records WHERE source_record_id {key}");
    /// <summary>The records one agency had applied at one instant: a removal is found beside the listing it ended, whose
    /// end carries that instant. Probes the ledger's unique index by agency.</summary>
    public string RecordsOfAgencyAt { get; } =
        "SELECT * FROM records WHERE agency_code = @Agency AND received_at = @At ORDER BY id";
    public string RelationsOf { get; } = "SELECT * FROM relations WHERE organization_id = @Id OR person_id = @Id ORDER BY valid_from, recorded_at, valid_to IS NULL, id";
    public string CountListings { get; } = "SELECT COUNT(*) FROM listings WHERE parent_listing_id IS NULL";
    public string QuarantineLatest { get; } = "SELECT * FROM quarantine ORDER BY received_at DESC, id LIMIT @Limit";
    public string QuarantineOfAgency { get; } = "SELECT * FROM quarantine WHERE agency_code = @Agency ORDER BY received_at DESC, id LIMIT @Limit";
    public string PendingOutbox { get; } = $"""
        SELECT id, message_type, payload, created_at, ordering_key FROM outbox
        WHERE published_at IS NULL AND id {dialect.NotInList("SkipIds")} AND (ordering_key IS NULL OR ordering_key {dialect.NotInList("SkipKeys")})
        ORDER BY id LIMIT @Limit
        """;
    public string MarkPublished { get; } = $"UPDATE outbox SET published_at = @At WHERE id {dialect.InList("Ids")}";
    /// <summary>The removals whose <c>SubjectDelisted</c> went out now (by event id): published at @At, once.</summary>
    public string MarkRemovalsPublished { get; } =
        $"UPDATE removal_deadlines SET published_at = @At WHERE event_id {dialect.InList("EventIds")} AND published_at IS NULL";
    /// <summary>The records whose first event went out now (by event id): relayed at @At, once.</summary>
    public string MarkIntakeRelayed { get; } =
        $"UPDATE record_intake SET relayed_at = @At WHERE event_id {dialect.InList("EventIds")} AND relayed_at IS NULL";
    /// <summary>Removals not published by their deadline (still pending past it, or published after it), the earliest deadline first.</summary>
    public string OverdueRemovals { get; } = """
        SELECT * FROM removal_deadlines
        WHERE (published_at IS NULL AND deadline < @Now) OR published_at > deadline
        ORDER BY deadline, id LIMIT @Limit
        """;
    public string LatestRemovals { get; } = "SELECT * FROM removal_deadlines ORDER BY received_at DESC, id LIMIT @Limit";
    /// <summary>Acknowledges the receipts an agency owes for these listings, once: those not acknowledged before, returned.</summary>
    public string AcknowledgeReceipts { get; } = $"""
        UPDATE removal_receipts SET acknowledged_at = @At
        WHERE agency_code = @Agency AND listing_id {dialect.InList("Ids")} AND acknowledged_at IS NULL
        RETURNING listing_id
        """;
    public string ReceiptsOfAgency { get; } = $"SELECT * FROM removal_receipts WHERE agency_code = @Agency AND listing_id {dialect.InList("Ids")}";
    /// <summary>The receipts of a report (<see cref="ReceiptReport"/>), the earliest deadline first.</summary>
    public string ReceiptReportRows(bool overdue, bool byAgency) => ReceiptReport(overdue, byAgency, agencies: false);
    /// <summary>The agencies in a report, with how many receipts each has there and the earliest deadline, the earliest first.</summary>
    public string ReceiptReportAgencies(bool overdue, bool byAgency) => ReceiptReport(overdue, byAgency, agencies: true);

    /// <summary>Overdue: not acknowledged by the deadline (still unacknowledged past it at @Now, or acknowledged after it);
    /// otherwise pending: not acknowledged yet. Of one agency (@Agency) or all.</summary>
    private static string ReceiptReport(bool overdue, bool byAgency, bool agencies)
    {
        var where = (overdue ? "((acknowledged_at IS NULL AND deadline < @Now) OR acknowledged_at > deadline)" : "acknowledged_at IS NULL")
                    + (byAgency ? " AND agency_code = @Agency" : "");
        return agencies
            ? $"SELECT agency_code, COUNT(*) AS receipts, MIN(deadline) AS earliest_deadline FROM removal_receipts WHERE {where} GROUP BY agency_code ORDER BY MIN(deadline), agency_code"
            : $"SELECT * FROM removal_receipts WHERE {where} ORDER BY deadline, agency_code, listing_id LIMIT @Limit";
    }

    /// <summary>Disputes of these listing source record ids (any agency), open or decided.</summary>
    public string DisputesOfListings { get; } = dialect.ForEachKey("Ids", "SELECT * FROM disputes WHERE listing_source_record_id {key}");
    /// <summary>Open disputes of these listing source record ids (any agency), for a batch that opens or decides one.</summary>
    public string OpenDisputesOfListings { get; } = dialect.ForEachKey("Ids",
        "SELECT * FROM disputes WHERE listing_source_record_id {key} AND resolved_at IS NULL");
    /// <summary>Decides a stored dispute, once: a row already decided is not changed.</summary>
    public string ResolveDispute { get; } = """
        UPDATE disputes SET resolved_at = @At, outcome = @Outcome, decided_on = @DecidedOn, resolution_source_record_id = @ResolutionSourceRecordId
        WHERE id = @DisputeId AND resolved_at IS NULL
        """;
    /// <summary>Disputes not decided by their review deadline (still open after it, or decided after it), the earliest deadline first.</summary>
    public string OverdueDisputes { get; } = """
        SELECT * FROM disputes
        WHERE review_deadline IS NOT NULL AND ((resolved_at IS NULL AND review_deadline < @Today) OR decided_on > review_deadline)
        ORDER BY review_deadline, id LIMIT @Limit
        """;
    /// <summary>Open disputes, the nearest deadline first (those without one last).</summary>
    public string OpenDisputes { get; } = """
        SELECT * FROM disputes WHERE resolved_at IS NULL
        ORDER BY review_deadline IS NULL, review_deadline, opened_at, id LIMIT @Limit
        """;
    public string Subscriptions { get; } = "SELECT * FROM subscriptions ORDER BY agency_code";
    public string UpsertSubscription { get; } = """
        INSERT INTO subscriptions (agency_code, delivery, webhook_url, filter, webhook_secret, updated_at, updated_by)
        VALUES (@AgencyCode, @Delivery, @WebhookUrl, @Filter, @WebhookSecret, @UpdatedAt, @UpdatedBy)
        ON CONFLICT (agency_code) DO UPDATE SET delivery = excluded.delivery, webhook_url = excluded.webhook_url, filter = excluded.filter,
            webhook_secret = excluded.webhook_secret, updated_at = excluded.updated_at, updated_by = excluded.updated_by
        """;
    public string DeleteSubscription { get; } = "DELETE FROM subscriptions WHERE agency_code = @AgencyCode";
    public string SubscriberQueues { get; } = "SELECT * FROM subscriber_queues ORDER BY agency_code";
    public string UpsertSubscriberQueue { get; } = """
        INSERT INTO subscriber_queues (agency_code, queue, binding_keys, synced_at, recreated_at)
        VALUES (@AgencyCode, @Queue, @BindingKeys, @SyncedAt, @RecreatedAt)
        ON CONFLICT (agency_code) DO UPDATE SET queue = excluded.queue, binding_keys = excluded.binding_keys, synced_at = excluded.synced_at,
            recreated_at = COALESCE(excluded.recreated_at, subscriber_queues.recreated_at)
        """;
    /// <summary>Subjects by one weak key (resolved through merges), with their names.</summary>
    public string SubjectsByWeakKey { get; } = """
        SELECT DISTINCT s.* FROM subject_identifiers i LEFT JOIN subject_merges m ON m.merged_id = i.subject_id
            JOIN subjects s ON s.id = COALESCE(m.into_id, i.subject_id)
        WHERE i.scheme = @Scheme AND i.value = @Value
        LIMIT @Limit
        """;
    /// <summary>Persons by their normalised name (merged-away ones left out); the partial index ix_subjects_person_name.</summary>
    public string PersonsByName { get; } = """
        SELECT s.* FROM subjects s WHERE s.normalized_name = @Name AND s.kind = 'Person'
          AND NOT EXISTS (SELECT 1 FROM subject_merges m WHERE m.merged_id = s.id)
        LIMIT @Limit
        """;
    /// <summary>Organisations by their core name (merged-away ones left out); the partial index ix_subjects_core_name.</summary>
    public string OrganizationsByCoreName { get; } = """
        SELECT s.* FROM subjects s WHERE s.core_name = @Core AND s.kind = 'Organization'
          AND NOT EXISTS (SELECT 1 FROM subject_merges m WHERE m.merged_id = s.id)
        LIMIT @Limit
        """;
    /// <summary>Organisations without a core name yet (stored before it existed), a page at a time.</summary>
    public string OrganizationsWithoutCore { get; } = """
        SELECT s.* FROM subjects s WHERE s.kind = 'Organization' AND s.core_name IS NULL ORDER BY s.id LIMIT @Limit
        """;
    public string SetCoreName { get; } = "UPDATE subjects SET core_name = @CoreName WHERE id = @Id";

    /// <summary>A stored normalised name that still carries a separator the name's normal form now drops
    /// (<see cref="Hub.Domain.Identifiers.NameNormalizer.Separators"/>, after NFKC). The partial index
    /// ix_subjects_name_separator is built on this very text (PostgreSQL migration 17, SQLite 16), and the backfill's
    /// read names it the same way so that both planners take the index: changing it needs a migration that builds the
    /// index again.</summary>
    public const string NameWithSeparator = "(normalized_name LIKE '%·%' OR normalized_name LIKE '%•%' OR normalized_name LIKE '%‧%' " +
        "OR normalized_name LIKE '%∙%' OR normalized_name LIKE '%⋅%' OR normalized_name LIKE '%・%' OR normalized_name LIKE '%ꞏ%' " +
        "OR normalized_name LIKE '%.%' OR normalized_name LIKE '%。%' OR normalized_name LIKE '%-%' OR normalized_name LIKE '%‐%' " +
        "OR normalized_name LIKE '%–%' OR normalized_name LIKE '%—%')";

    /// <summary>Subjects whose stored normalised name still has a separator (stored before separators were dropped), a
    /// page at a time after the id <c>@After</c>.</summary>
    public string SubjectsWithSeparator { get; } = $"SELECT * FROM subjects WHERE {NameWithSeparator} AND id > @After ORDER BY id LIMIT @Limit";

    public string SetNormalizedName { get; } = "UPDATE subjects SET normalized_name = @NormalizedName WHERE id = @Id";

    /// <summary>A subject's name-with-birth-date key made again from its new normalised name: the key is the normalised
    /// name, '|' and the date (yyyy-MM-dd), so its last eleven characters stay.</summary>
    public string SetNameBirthKeys { get; } =
        "UPDATE subject_identifiers SET value = @NormalizedName || substr(value, length(value) - 10) WHERE subject_id = @Id AND scheme = 'name-birth'";
    public string ReviewById { get; } = "SELECT * FROM match_reviews WHERE id = @Id";
    public string ReviewsByStatus { get; } = "SELECT * FROM match_reviews WHERE status = @Status ORDER BY created_at, id LIMIT @Limit";
    public string DecideReview { get; } = "UPDATE match_reviews SET status = @Status, decided_at = @At, decided_by = @By, note = @Note WHERE id = @Id AND status = @From";
    public string MergeOf { get; } = "SELECT * FROM subject_merges WHERE merged_id = @Id";
    public string IntoOf { get; } = "SELECT into_id FROM subject_merges WHERE merged_id = @Id";
    public string Ping { get; } = "SELECT 1";

    public string PruneInbox { get; } = $"""
        DELETE FROM inbox WHERE message_id IN (SELECT message_id FROM inbox WHERE received_at < @Before ORDER BY received_at LIMIT @Limit)
        """;
    public string PrunePublishedOutbox { get; } = $"""
        DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at IS NOT NULL AND published_at < @Before ORDER BY id LIMIT @Limit)
        """;

    public string AuditHead { get; } = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";

    /// <summary>The audit chain's head is still entry @head with hash @head_hash (0: the chain is empty).</summary>
    public string AuditStillAfter { get; } =
        // max(seq), not "no seq > @head": a generic plan of the latter scans the whole log
        "COALESCE((SELECT max(seq) FROM audit_log), 0) = @head AND (@head = 0 OR EXISTS (SELECT 1 FROM audit_log WHERE seq = @head AND hash = @head_hash))";
    public string AuditPage { get; } = "SELECT * FROM audit_log WHERE seq > @After ORDER BY seq LIMIT @Limit";
    public string AuditOfSubject { get; } = "SELECT * FROM audit_log WHERE subject_id = @Subject ORDER BY seq DESC LIMIT @Limit";
    public string AuditLatest { get; } = "SELECT * FROM audit_log ORDER BY seq DESC LIMIT @Limit";

    public string AddApiKey { get; } = """
        INSERT INTO api_keys (id, principal, key_hash, label, created_at, created_by, revoked_at)
        VALUES (@Id, @Principal, @KeyHash, @Label, @CreatedAt, @CreatedBy, NULL)
        """;
    public string ApiKeyByHash { get; } = "SELECT * FROM api_keys WHERE key_hash = @KeyHash";
    public string ApiKeys { get; } = "SELECT * FROM api_keys ORDER BY created_at, id";
    public string CountApiKeys { get; } = "SELECT COUNT(*) FROM api_keys";
    public string RevokeApiKey { get; } = "UPDATE api_keys SET revoked_at = @At WHERE id = @Id AND revoked_at IS NULL";
}
