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

        /// <summary>The entries of each append that went through, in order.</summary>
        public List<string[]> Appends { get; } = [];

        protected override Task AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct)
        {
            if (entries.Any(refuses)) throw new InvalidOperationException("the store refuses this entry");
            lock (Written)
            {
                Written.AddRange(entries);
                Appends.Add(entries.Select(e => e.Detail!).ToArray());
            }
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
    public async Task Entries_written_together_go_in_one_append_however_many_and_fail_together()
    {
        var store = new Store(e => e.Detail == "refused");
        await store.StartAsync(CancellationToken.None);
        var many = Enumerable.Range(0, 700).Select(i => Entry($"alongside {i}")).Prepend(Entry("main")).ToList();

        for (var i = 0; i < 20; i++) await store.WriteAsync([Entry($"lookup {i}"), Entry($"person shown beside {i}")], CancellationToken.None);
        await store.WriteAsync(many, CancellationToken.None);
        Assert.ThrowsAsync<AuditUnavailableException>(() => store.WriteAsync([Entry("a disclosure"), Entry("refused")], CancellationToken.None));
        await store.StopAsync(CancellationToken.None);

        Assert.That(store.Appends.Take(20), Has.All.Length.EqualTo(2), "each pair in one append, never split");
        Assert.That(store.Appends[20], Is.EqualTo(many.Select(e => e.Detail)), "more than one append's worth, still one append");
        Assert.That(store.Written.Select(e => e.Detail), Has.None.EqualTo("a disclosure"), "all or none: its partner was refused");
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
