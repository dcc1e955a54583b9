using System.Data.Common;
using Hub.Storage.Postgres;
using Hub.Testing;
using Npgsql;

namespace Hub.Storage.Tests;

/// <summary>What the PostgreSQL dialect sets up on a real server: session settings and the key columns' collation.</summary>
public sealed class PostgresSessionTests
{
    private PostgresTestDatabase _db = default!;

    [SetUp]
    public async Task SetUp() => _db = await PostgresTestDatabase.CreateAsync();

    [TearDown]
    public async Task TearDown() => await _db.DisposeAsync();

    private static async Task<string?> Scalar(DbConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (await cmd.ExecuteScalarAsync())?.ToString();
    }

    /// <summary>The index migrated on the test's database, and a connection of the test's own to it.</summary>
    private async Task<NpgsqlConnection> MigratedAsync()
    {
        await new IndexDatabase(new PostgresDialect(), _db.ConnectionString, TimeProvider.System).MigrateAsync(CancellationToken.None);
        var c = new NpgsqlConnection(_db.ConnectionString);
        await c.OpenAsync();
        return c;
    }

    /// <summary>The plan PostgreSQL makes for <paramref name="statement"/> (<c>EXPLAIN</c> prefixed), a line per node, with
    /// <paramref name="keys"/> bound as <c>$1</c> when given.</summary>
    private static async Task<string> Plan(NpgsqlConnection c, string statement, string[]? keys = null)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "EXPLAIN " + statement;
        if (keys is not null) cmd.Parameters.Add(new NpgsqlParameter { Value = keys });
        var plan = new System.Text.StringBuilder();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) plan.AppendLine(reader.GetString(0));
        return plan.ToString();
    }

    [Test]
    public async Task The_aggregators_transactions_run_without_the_jit_compiler()
    {
        var db = new IndexDatabase(new PostgresDialect(), _db.ConnectionString, TimeProvider.System);
        await db.MigrateAsync(CancellationToken.None);
        await using var c = new NpgsqlConnection(_db.ConnectionString);
        await c.OpenAsync();
        Assert.That(await Scalar(c, "SHOW jit"), Is.EqualTo("on"), "precondition: PostgreSQL's default, which the Hub's transactions turn off");

        await using (var session = await db.BeginAsync(CancellationToken.None))
        {
            await using var cmd = session.Connection.CreateCommand();
            cmd.Transaction = session.Transaction;
            cmd.CommandText = "SHOW jit";
            Assert.That(await cmd.ExecuteScalarAsync(), Is.EqualTo("off"));
        }
    }

    [Test]
    public async Task Checks_and_the_audit_append_run_prepared_and_everything_else_is_planned_per_call()
    {
        var db = new IndexDatabase(new PostgresDialect(), _db.ConnectionString, TimeProvider.System);
        await db.MigrateAsync(CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            await db.SubjectsForCheckAsync([new SubjectKey(SubjectKey.Uscc, Hub.Testing.TestIdentifiers.Uscc(9000 + i))], CancellationToken.None);
            await db.AppendAuditAsync([new Audit.AuditEntry(TimeProvider.System.GetUtcNow(), "test", null, "test.check", null, null, "allowed", null, "http")], CancellationToken.None);
            await db.CountListingsAsync(CancellationToken.None);
        }

        // the pools are the Hub's own: what each connection of them has prepared, asked on that connection
        await using var preparing = await db.OpenAsync(CancellationToken.None, preparing: true);
        var prepared = await Scalar(preparing, "SELECT string_agg(statement, ' | ') FROM pg_prepared_statements");
        Assert.That(prepared, Does.Contain("subject_identifiers i JOIN subjects s").And.Contain("INSERT INTO audit_log"),
            "the check read and the audit insert, run twice on the preparing pool, are prepared");
        await using var plain = await db.OpenAsync(CancellationToken.None);
        Assert.That(await Scalar(plain, "SELECT count(*) FROM pg_prepared_statements"), Is.EqualTo("0"), "the other pool prepares nothing");

        var asGiven = _db.ConnectionString + ";Max Auto Prepare=0";
        Assert.That(new PostgresDialect().PreparingConnectionString(asGiven), Is.EqualTo(asGiven), "a string that says how to prepare is kept");
    }

    [Test]
    public async Task The_core_name_backfill_at_start_reads_an_index_of_the_organisations_without_one_not_every_subject()
    {
        // at ten million subjects the backfill's read scanned the table at every start, outlasted the command timeout
        // and was retried for ever
        await using var c = await MigratedAsync();
        await Scalar(c, "SET enable_seqscan = off"); // a young table would be scanned whatever indexes it has: ask which one serves
        var plan = await Plan(c, new IndexSql(new PostgresDialect()).OrganizationsWithoutCore.Replace("@Limit", "500", StringComparison.Ordinal));

        Assert.That(plan, Does.Contain("ix_subjects_core_missing"), plan);
    }

    [Test]
    public async Task The_name_separator_backfill_at_start_reads_an_index_of_the_names_still_to_store_again_not_every_subject()
    {
        // as the core names': the read runs at every start, long after the index holds none
        await using var c = await MigratedAsync();
        await Scalar(c, "SET enable_seqscan = off");
        var plan = await Plan(c, new IndexSql(new PostgresDialect()).SubjectsWithSeparator
            .Replace("@After", "''", StringComparison.Ordinal).Replace("@Limit", "1000", StringComparison.Ordinal));

        Assert.That(plan, Does.Contain("ix_subjects_name_separator"), plan);
    }

    [Test]
    public async Task A_subjects_whole_number_is_probed_by_the_subject_whatever_stale_statistics_say()
    {
        // statistics taken while the index was young — organisations only, few of them, whole ID numbers rare — and not
        // taken again while a load brought forty thousand persons with whole numbers (autovacuum had not come round yet).
        // With the index by subject alone, the planner then read "this subject's whole number" through the index of every
        // whole number (scheme, value), O(N) a probe: a fresh index's first bulk load ran at a third of its speed.
        await using var c = await MigratedAsync();
        await Scalar(c, """
            ALTER TABLE subject_identifiers SET (autovacuum_enabled = false); ALTER TABLE subjects SET (autovacuum_enabled = false);
            ALTER TABLE relations SET (autovacuum_enabled = false);
            INSERT INTO subjects (id, kind, display_name, normalized_name, created_at, updated_at)
              SELECT 's' || g, 'Organization', 'n' || g, 'n' || g, now(), now() FROM generate_series(1, 20) g;
            INSERT INTO subject_identifiers (scheme, value, subject_id, strong, created_at)
              SELECT CASE WHEN g % 100 = 0 THEN 'ric' ELSE 'uscc' END, 'u' || g, 's' || (g % 20 + 1), g % 100 = 0 OR g % 2 = 0, now() FROM generate_series(1, 2000) g;
            ANALYZE subjects; ANALYZE subject_identifiers; ANALYZE relations;
            INSERT INTO subjects (id, kind, display_name, normalized_name, created_at, updated_at)
              SELECT 's' || g, 'Person', 'n' || g, 'n' || g, now(), now() FROM generate_series(1001, 41000) g;
            INSERT INTO subject_identifiers (scheme, value, subject_id, strong, created_at)
              SELECT 'ric', 'r' || g, 's' || g, true, now() FROM generate_series(1001, 41000) g;
            INSERT INTO subject_identifiers (scheme, value, subject_id, strong, created_at)
              SELECT 'ric-masked', 'm' || (g % 5000), 's' || g, false, now() FROM generate_series(1001, 41000) g;
            INSERT INTO relations (id, organization_id, person_id, role, valid_from, agency_code, source_record_id, recorded_at)
              SELECT 'r' || g, 's' || (g % 20 + 1), 's' || g, 'legal-representative', '2026-01-01', 'COURT-34', 'R-' || g, now() FROM generate_series(1001, 41000) g;
            """);
        var sql = new IndexSql(new PostgresDialect());
        foreach (var (name, query, keys) in new[]
                 {
                     ("weak candidates", sql.WeakCandidates.Replace("@Values", "$1", StringComparison.Ordinal), Enumerable.Range(0, 500).Select(i => $"m{i}")),
                     ("representatives", sql.Representatives.Replace("@Ids", "$1", StringComparison.Ordinal), Enumerable.Range(1, 20).Select(i => $"s{i}")),
                     ("listings by core name", sql.ListingsByCoreName.Replace("@Names", "$1", StringComparison.Ordinal), Enumerable.Range(1, 20).Select(i => $"n{i}")),
                 })
        {
            var plan = await Plan(c, query.Replace("@Strong", "true", StringComparison.Ordinal), keys.ToArray());

            Assert.That(plan, Does.Contain("ix_subject_identifiers_subject_scheme")
                .And.Not.Contain("ux_subject_identifiers_strong").And.Not.Contain("Seq Scan on subject_identifiers"), $"{name}:\n{plan}");
        }
    }

    [Test]
    public async Task The_batch_read_of_active_listings_by_source_probes_the_source_index_not_the_expiry_index()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Samples.Now);
        var db = new IndexDatabase(new PostgresDialect(), _db.ConnectionString, time);
        await db.MigrateAsync(CancellationToken.None);
        // a young table, as the aggregator meets it: a few thousand active listings, no statistics yet
        var applier = Samples.Applier(db, time, new Hub.Aggregator.AggregatorMetrics());
        for (var b = 0; b < 4; b++)
            await applier.ApplyAsync(Enumerable.Range(b * 500, 500)
                .Select(i => Samples.In(Samples.Listed(sourceId: $"SRC-{i}", uscc: Hub.Testing.TestIdentifiers.Uscc(8000 + i), repRic: null, repName: "法人"))).ToList(),
                CancellationToken.None);
        await using var c = new NpgsqlConnection(_db.ConnectionString);
        await c.OpenAsync();
        var plan = await Plan(c,
            new PostgresDialect().ForEachKey("Ids", "SELECT * FROM listings WHERE source_record_id {key} AND status = 'active'").Replace("@Ids", "$1", StringComparison.Ordinal),
            Enumerable.Range(0, 500).Select(i => $"SRC-{i}").ToArray());

        Assert.That(plan, Does.Contain("ix_listings_source").And.Not.Contain("ix_listings_expiry"), plan);
    }

    [Test]
    public async Task Key_columns_compare_bytewise_whatever_the_clusters_collation()
    {
        await using var c = await MigratedAsync();
        var keys = new[]
        {
            ("subjects", "id"), ("subject_identifiers", "value"), ("subject_identifiers", "subject_id"),
            ("relations", "organization_id"), ("relations", "person_id"), ("records", "source_record_id"),
            ("listings", "id"), ("listings", "subject_id"), ("listings", "source_record_id"), ("inbox", "message_id"),
        };
        foreach (var (table, column) in keys)
            Assert.That(await Scalar(c, $"SELECT collation_name FROM information_schema.columns WHERE table_name = '{table}' AND column_name = '{column}'"),
                Is.EqualTo("C"), $"{table}.{column}");
    }

    private static Audit.AuditEntry Entry(string action) =>
        new(TimeProvider.System.GetUtcNow(), "test", null, action, null, null, "allowed", null, "http");

    [Test]
    public async Task The_audit_append_after_its_own_head_is_one_locked_statement_and_falls_back_when_the_head_moved()
    {
        var db = new IndexDatabase(new PostgresDialect(), _db.ConnectionString, TimeProvider.System);
        await db.MigrateAsync(CancellationToken.None);
        for (var i = 0; i < 3; i++) await db.AppendAuditAsync([Entry("test.own")], CancellationToken.None);

        // the insert that writes only after this process's head ran (prepared after two uses): the one-round-trip append
        await using (var preparing = await db.OpenAsync(CancellationToken.None, preparing: true))
            Assert.That(await Scalar(preparing, "SELECT string_agg(statement, ' | ') FROM pg_prepared_statements"),
                Does.Contain("COALESCE((SELECT max(seq) FROM audit_log), 0) = $13"));

        // another process appends, and a transaction appends with its own work: this process's head is stale twice
        var other = new IndexDatabase(new PostgresDialect(), _db.ConnectionString, TimeProvider.System);
        await other.AppendAuditAsync([Entry("test.other"), Entry("test.other")], CancellationToken.None);
        await db.AppendAuditAsync([Entry("test.own")], CancellationToken.None);
        await using (var session = await db.BeginAsync(CancellationToken.None))
        {
            await session.AppendAuditAsync([Entry("test.with-work")], CancellationToken.None);
            await session.CommitAsync(CancellationToken.None);
        }
        await db.AppendAuditAsync([Entry("test.own"), Entry("test.own")], CancellationToken.None);

        var chain = await db.VerifyAuditAsync(CancellationToken.None);
        Assert.That(chain.Problem, Is.Null);
        Assert.That(chain.Entries, Is.EqualTo(9), "3 + 2 by the other process + 1 + 1 with work + 2, none lost or forked");
    }

    [Test]
    public async Task Two_processes_appending_to_the_audit_chain_at_once_keep_one_unbroken_chain()
    {
        // the one-round-trip append holds the chain's lock for its insert: were the lock released before it, two appends
        // after the same head would collide on seq, and one would fail
        var dbs = new[]
        {
            new IndexDatabase(new PostgresDialect(), _db.ConnectionString, TimeProvider.System),
            new IndexDatabase(new PostgresDialect(), _db.ConnectionString, TimeProvider.System),
        };
        await dbs[0].MigrateAsync(CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++) await dbs[w % 2].AppendAuditAsync([Entry($"test.writer-{w}")], CancellationToken.None);
        })));

        var chain = await dbs[1].VerifyAuditAsync(CancellationToken.None);
        Assert.That(chain.Problem, Is.Null);
        Assert.That(chain.Entries, Is.EqualTo(400));
    }

    [Test]
    public async Task The_one_round_trip_audit_appends_condition_reads_the_key_not_the_log()
    {
        // its first form ("no entry after the head") was planned, generically, as a scan of the whole log: 0.4 s an append
        // at four million entries
        await using var c = await MigratedAsync();
        await Scalar(c, "INSERT INTO audit_log (seq, at, principal, action, outcome, channel, prev_hash, hash) " +
                        "SELECT n, now(), 'test', 'test.fill', 'ok', 'http', 'x', 'y' FROM generate_series(1, 300000) n; ANALYZE audit_log");
        var condition = new IndexSql(new PostgresDialect()).AuditStillAfter.Replace("@head_hash", "$2", StringComparison.Ordinal).Replace("@head", "$1", StringComparison.Ordinal);
        await Scalar(c, $"PREPARE still_after(bigint, text) AS SELECT 1 WHERE {condition}; SET plan_cache_mode = force_generic_plan");
        var plan = await Plan(c, "EXECUTE still_after(150000, 'y')");
        Assert.That(plan, Does.Not.Contain("Seq Scan"), plan);
        Assert.That(plan, Does.Contain("Index Only Scan Backward using audit_log_pkey"), plan);
    }
}
