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
        var db = new IndexDatabase(new PostgresDialect(), _db.ConnectionString, TimeProvider.System);
        await db.MigrateAsync(CancellationToken.None);
        await using var c = new NpgsqlConnection(_db.ConnectionString);
        await c.OpenAsync();
        await Scalar(c, "SET enable_seqscan = off"); // a young table would be scanned whatever indexes it has: ask which one serves
        var sql = new IndexSql(new PostgresDialect()).OrganizationsWithoutCore.Replace("@Limit", "500", StringComparison.Ordinal);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "EXPLAIN " + sql;
        var plan = new System.Text.StringBuilder();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.AppendLine(reader.GetString(0));

        Assert.That(plan.ToString(), Does.Contain("ix_subjects_core_missing"), plan.ToString());
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
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "EXPLAIN " + new PostgresDialect().ForEachKey("Ids", "SELECT * FROM listings WHERE source_record_id {key} AND status = 'active'").Replace("@Ids", "$1", StringComparison.Ordinal);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Enumerable.Range(0, 500).Select(i => $"SRC-{i}").ToArray() });
        var plan = new System.Text.StringBuilder();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.AppendLine(reader.GetString(0));

        Assert.That(plan.ToString(), Does.Contain("ix_listings_source").And.Not.Contain("ix_listings_expiry"), plan.ToString());
    }

    [Test]
    public async Task Key_columns_compare_bytewise_whatever_the_clusters_collation()
    {
        var db = new IndexDatabase(new PostgresDialect(), _db.ConnectionString, TimeProvider.System);
        await db.MigrateAsync(CancellationToken.None);
        await using var c = new NpgsqlConnection(_db.ConnectionString);
        await c.OpenAsync();
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
}
