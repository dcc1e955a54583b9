namespace Hub.Storage;

/// <summary>The statements both dialects share. Constant text; values always travel as parameters.</summary>
internal static class IndexSql
{
    public const string SchemaVersionTable =
        "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at text NOT NULL)";
    public const string CurrentVersion = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
    public const string RecordVersion = "INSERT INTO schema_version (version, applied_at) VALUES (@Version, @AppliedAt)";

    public const string SeenMessages = "SELECT message_id FROM inbox WHERE message_id IN @Ids";
    public const string RecordsBySource =
        "SELECT agency_code, source_record_id, revision, kind FROM records WHERE source_record_id IN @Ids";
    public const string StrongIdentifiers =
        "SELECT scheme, value, subject_id, strong FROM subject_identifiers WHERE value IN @Values AND strong = @Strong";
    public const string ActiveListingsBySource =
        "SELECT * FROM listings WHERE source_record_id IN @Ids AND status = 'active'";
    public const string Representatives = """
        SELECT r.organization_id, r.person_id, s.normalized_name
        FROM relations r JOIN subjects s ON s.id = r.person_id
        WHERE r.organization_id IN @Ids AND r.role = 'legal-representative' AND r.valid_to IS NULL
        """;
    public const string SubjectsById = "SELECT * FROM subjects WHERE id IN @Ids";
    public const string EndListings = """
        UPDATE listings SET status = @Status, status_reason = @Reason, ended_on = @EndedOn, superseded_at = @At
        WHERE id IN @Ids AND status = 'active'
        """;
    public const string CloseRelations = """
        UPDATE relations SET valid_to = @ValidTo
        WHERE organization_id = @OrganizationId AND role = @Role AND valid_to IS NULL AND person_id <> @PersonId
        """;

    public const string SubjectById = "SELECT * FROM subjects WHERE id = @Id";
    public const string SubjectIdByIdentifier =
        "SELECT subject_id FROM subject_identifiers WHERE scheme = @Scheme AND value = @Value ORDER BY strong DESC LIMIT 1";
    public const string IdentifiersOf = "SELECT scheme, value, subject_id, strong FROM subject_identifiers WHERE subject_id = @Id ORDER BY strong DESC, scheme";
    public const string ListingsOf = "SELECT * FROM listings WHERE subject_id = @Id ORDER BY recorded_at, id";
    public const string RelationsOf = "SELECT * FROM relations WHERE organization_id = @Id OR person_id = @Id ORDER BY valid_from, id";
    public const string CountListings = "SELECT COUNT(*) FROM listings WHERE parent_listing_id IS NULL";
    public const string QuarantineLatest = "SELECT * FROM quarantine ORDER BY received_at DESC, id LIMIT @Limit";
    public const string QuarantineOfAgency = "SELECT * FROM quarantine WHERE agency_code = @Agency ORDER BY received_at DESC, id LIMIT @Limit";
    public const string PendingOutbox = "SELECT id, message_type, payload, created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT @Limit";
    public const string MarkPublished = "UPDATE outbox SET published_at = @At WHERE id IN @Ids";
    public const string Ping = "SELECT 1";
}
