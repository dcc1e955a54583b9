using Hub.Host.Security;
using Hub.Storage.Audit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hub.Integration.Tests;

/// <summary>The HTTP doors' audit queue on its own, over a store that does what the test says.</summary>
public sealed class AuditTrailTests
{
    private sealed class Store(Func<AuditEntry, bool> refuses) : QueuedAuditTrail(NullLogger.Instance)
    {
        public List<AuditEntry> Written { get; } = [];

        protected override Task AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct)
        {
            if (entries.Any(refuses)) throw new InvalidOperationException("the store refuses this entry");
            lock (Written) Written.AddRange(entries);
            return Task.CompletedTask;
        }
    }

    private static AuditEntry Entry(string detail) =>
        new(TimeProvider.System.GetUtcNow(), "COURT-34-1122", "COURT-34-1122", "court-notices.submit", null, null, "answered", detail, "http");

    [Test]
    public async Task Stopping_writes_everything_still_queued_and_ends_cleanly()
    {
        var store = new Store(_ => false);
        await store.StartAsync(CancellationToken.None);
        for (var i = 0; i < 1_200; i++) store.Enqueue(Entry($"n{i}"));
        await store.StopAsync(CancellationToken.None);

        Assert.That(store.Completion.IsCompletedSuccessfully, Is.True, $"{store.Completion.Status} {store.Completion.Exception}");
        Assert.That(store.Written.Select(e => e.Detail), Is.EqualTo(Enumerable.Range(0, 1_200).Select(i => $"n{i}")), "all of them, in order");
    }

    [Test]
    public async Task An_entry_the_store_always_refuses_does_not_hold_back_the_others()
    {
        var store = new Store(e => e.Detail == "poison");
        await store.StartAsync(CancellationToken.None);
        store.Enqueue(Entry("before"));
        store.Enqueue(Entry("poison"));
        store.Enqueue(Entry("after"));
        await Eventually.Get(() => Task.FromResult(store.Written.Count >= 2 ? "written" : null), "the two good entries");
        await store.WriteAsync(Entry("a disclosure"), CancellationToken.None);
        await store.StopAsync(CancellationToken.None);

        Assert.That(store.Written.Select(e => e.Detail), Is.EqualTo(new[] { "before", "after", "a disclosure" }));
    }

    [Test]
    public async Task A_disclosure_the_store_cannot_record_is_answered_with_an_exception()
    {
        var store = new Store(e => e.Detail == "refused");
        await store.StartAsync(CancellationToken.None);
        Assert.ThrowsAsync<AuditUnavailableException>(() => store.WriteAsync(Entry("refused"), CancellationToken.None));
        await store.StopAsync(CancellationToken.None);
        Assert.That(store.Completion.IsCompletedSuccessfully, Is.True);
    }
}
