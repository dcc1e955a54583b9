using Hub.Aggregator;
using Hub.Aggregator.Applying;
using Hub.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Storage.Tests;

/// <summary>What a per-dialect index test starts from: a fresh database of the dialect, migrated, the fake clock at
/// <see cref="Samples.Now"/>, and the aggregator's apply step over them; the database is dropped afterwards.</summary>
public abstract class IndexFixture<TTarget> where TTarget : IIndexTarget, new()
{
    protected TTarget Target { get; private set; } = default!;
    protected FakeTimeProvider Time { get; private set; } = default!;
    protected IndexDatabase Db { get; private set; } = default!;
    protected AggregatorMetrics Metrics { get; private set; } = default!;
    protected RecordApplier ApplyStep { get; private set; } = default!;

    [SetUp]
    public async Task CreateIndex()
    {
        Target = new TTarget();
        Time = new FakeTimeProvider(Samples.Now);
        Db = await Target.CreateAsync(Time);
        await Db.MigrateAsync(CancellationToken.None);
        Metrics = new AggregatorMetrics();
        ApplyStep = Samples.Applier(Db, Time, Metrics);
    }

    [TearDown]
    public async Task DropIndex() => await Target.DisposeAsync();
}
