using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Testing;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>
/// History and as-of over HTTP in the embedded default: what the Hub answers for "was this company listed on D, as the
/// Hub knew it at T?" before and after a correction, a removal and the end of a term, and how it refuses a bad date.
/// </summary>
[NonParallelizable]
public sealed class HistoryTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-history-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _court = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(HubFactory.Embedded(_file));
        _court = await _hub.ClientAsAsync(Court);
        await Eventually.Get(async () => (await _court.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _court.Dispose();
        await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    private sealed record Box(JsonElement Value);

    private async Task Send(JsonObject notice, string what = "notices")
    {
        using var post = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/{what}", new JsonArray(notice));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());
    }

    private async Task<string> HubId(string uscc) =>
        (await Eventually.Get(async () =>
        {
            using var r = await _court.GetAsync($"/api/subjects?uscc={uscc}");
            return r.IsSuccessStatusCode ? JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("hubId").GetString() : null;
        }, $"subject {uscc}"));

    private async Task<JsonElement> Get(string url)
    {
        using var r = await _court.GetAsync(url);
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The subject's own changes (not those imputed to its representative) once <paramref name="count"/> are there.</summary>
    private async Task<List<JsonElement>> Changes(string hubId, int count) =>
        (await Eventually.Get(async () =>
        {
            var own = (await Get($"/api/subjects/{hubId}/history")).GetProperty("changes").EnumerateArray()
                .Where(c => c.GetProperty("imputedFromListingId").ValueKind == JsonValueKind.Null).ToList();
            return own.Count >= count ? new List<JsonElement>(own) : null;
        }, $"{count} changes of {hubId}"));

    private Task<JsonElement> AsOf(string hubId, string validAt, DateTimeOffset knownAt) =>
        Get($"/api/subjects/{hubId}/as-of?validAt={validAt}&knownAt={Uri.EscapeDataString(knownAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"))}");

    private static async Task<DateTimeOffset> Between()
    {
        await Task.Delay(20);
        var t = TimeProvider.System.GetUtcNow();
        await Task.Delay(20);
        return t;
    }

    [Test]
    public async Task A_correction_recorded_later_changes_the_answer_for_knownAt_after_it_not_before()
    {
        var uscc = TestIdentifiers.Uscc(6101);
        await Send(Company("HIS-C", uscc: uscc));                      // term from 11 June 2026
        var hubId = await HubId(uscc);
        var before = await Between();
        var correction = Company("HIS-C", uscc: uscc);
        correction["revision"] = "2";
        correction["regDate"] = "20260801";                             // the court corrects: from 1 August
        await Send(correction);

        var changes = await Changes(hubId, 3);
        Assert.That(changes.Select(c => c.GetProperty("change").GetString()), Is.EqualTo(new[] { "listed", "superseded", "listed" }));
        Assert.That(changes.Select(c => c.GetProperty("source").GetProperty("revision").GetInt32()), Is.EqualTo(new[] { 1, 2, 2 }));
        Assert.That(changes.Select(c => c.GetProperty("source").GetProperty("sourceRecordId").GetString()), Is.All.EqualTo("HIS-C"));
        Assert.That(changes[0].GetProperty("source").GetProperty("kind").GetString(), Is.EqualTo("JudgmentDefaulterListed"));
        var after = await Between();

        var then = await AsOf(hubId, "2026-07-01", before);
        Assert.That(then.GetProperty("restricted").GetBoolean(), Is.True, "as known before the correction, listed from 11 June");
        Assert.That(then.GetProperty("listings").EnumerateArray().Count(l => l.GetProperty("imputedFromListingId").ValueKind == JsonValueKind.Null), Is.EqualTo(1));
        var now = await AsOf(hubId, "2026-07-01", after);
        Assert.That(now.GetProperty("restricted").GetBoolean(), Is.False, "the correction replaces revision 1: listed from 1 August");
        var own = now.GetProperty("listings").EnumerateArray().Where(l => l.GetProperty("imputedFromListingId").ValueKind == JsonValueKind.Null).ToList();
        Assert.That(own.Select(l => (l.GetProperty("revision").GetInt32(), l.GetProperty("status").GetString(), l.GetProperty("inForce").GetBoolean())),
            Is.EqualTo(new[] { (1, "superseded", false), (2, "active", false) }));
        Assert.That((await AsOf(hubId, "2026-08-15", after)).GetProperty("restricted").GetBoolean(), Is.True);
    }

    [Test]
    public async Task A_removal_ends_the_listing_as_known_after_it_was_recorded_not_before()
    {
        var uscc = TestIdentifiers.Uscc(6102);
        await Send(Company("HIS-R", uscc: uscc));
        var hubId = await HubId(uscc);
        await Changes(hubId, 1);
        var before = await Between();
        await Send(Removal("HIS-R-X", "HIS-R"), "removals");                        // effective 1 September 2026
        var changes = await Changes(hubId, 2);
        Assert.That(changes[1].GetProperty("change").GetString(), Is.EqualTo("removed"));
        Assert.That(changes[1].GetProperty("endedOn").GetString(), Is.EqualTo("2026-09-01"));
        Assert.That(changes[1].GetProperty("source").GetProperty("sourceRecordId").GetString(), Is.EqualTo("HIS-R-X"));
        Assert.That(changes[1].GetProperty("source").GetProperty("kind").GetString(), Is.EqualTo("JudgmentDefaulterRemoved"));
        var after = await Between();

        Assert.That((await AsOf(hubId, "2026-10-01", before)).GetProperty("restricted").GetBoolean(), Is.True, "before the removal was recorded");
        var now = await AsOf(hubId, "2026-10-01", after);
        Assert.That(now.GetProperty("restricted").GetBoolean(), Is.False, "after it");
        Assert.That(now.GetProperty("listings")[0].GetProperty("status").GetString(), Is.EqualTo("removed"));
        Assert.That((await AsOf(hubId, "2026-08-01", after)).GetProperty("restricted").GetBoolean(), Is.True, "listed until the removal took effect");
    }

    [Test]
    public async Task A_term_that_ran_out_was_in_force_during_it_and_not_after()
    {
        var uscc = TestIdentifiers.Uscc(6103);
        var old = Company("HIS-E", uscc: uscc);
        old["regDate"] = "20200611";
        old["publishDate"] = "20200701";
        await Send(old);
        var hubId = await HubId(uscc);
        var now = TimeProvider.System.GetUtcNow();

        var during = await AsOf(hubId, "2021-01-01", now);
        Assert.That(during.GetProperty("restricted").GetBoolean(), Is.True);
        var later = await AsOf(hubId, "2026-01-01", now);
        Assert.That(later.GetProperty("restricted").GetBoolean(), Is.False);
        Assert.That(later.GetProperty("listings")[0].GetProperty("status").GetString(), Is.EqualTo("expired"));
    }

    [TestCase("validAt=2026-13-01", "validAt")]
    [TestCase("validAt=1%20March", "validAt")]
    [TestCase("knownAt=2026-03-05T00:00:00", "knownAt")]
    [TestCase("knownAt=yesterday", "knownAt")]
    public async Task A_bad_date_is_a_400_problem_naming_the_field(string query, string field)
    {
        using var r = await _court.GetAsync($"/api/subjects/0000/as-of?{query}");
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), text);
        Assert.That(r.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.That(problem.GetProperty("type").GetString(), Is.EqualTo("urn:hub:problem:invalid-request"));
        Assert.That(problem.GetProperty("field").GetString(), Is.EqualTo(field));
    }

    [Test]
    public async Task A_lookup_of_history_or_as_of_is_on_the_audit_log()
    {
        var uscc = TestIdentifiers.Uscc(6104);
        await Send(Company("HIS-A", uscc: uscc));
        var hubId = await HubId(uscc);
        await Get($"/api/subjects/{hubId}/history");
        await Get($"/api/subjects/{hubId}/as-of?validAt=2026-07-01");
        using var auditor = await _hub.ClientAsAsync("auditor:test");
        var text = await auditor.GetStringAsync($"/api/audit/?subject={hubId}");
        Assert.That(text, Does.Contain("history by hub id").And.Contain("as of 2026-07-01"));
    }

    [Test]
    public async Task A_persons_ID_number_is_masked_in_history_and_as_of()
    {
        var uscc = TestIdentifiers.Uscc(6105);
        await Send(Company("HIS-M", uscc: uscc));
        var company = await HubId(uscc);
        await Changes(company, 1);
        using var search = await _court.PostAsJsonAsync("/api/subjects/search", new { ric = RepRic });
        var person = JsonDocument.Parse(await search.Content.ReadAsStringAsync()).RootElement.GetProperty("hubId").GetString();
        foreach (var url in new[] { $"/api/subjects/{person}/history", $"/api/subjects/{person}/as-of" })
        {
            using var r = await _court.GetAsync(url);
            var text = await r.Content.ReadAsStringAsync();
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            Assert.That(text, Does.Contain("3411221978****361X").And.Not.Contain(RepRic), url);
        }
    }
}
