using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Domain.Lifecycle;
using Hub.Storage;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Integration.Tests;

/// <summary>
/// Removal receipts through the real RabbitMQ and PostgreSQL: a market regulator subscribed to court listings receives a
/// listing on its own queue, the court removes it, the regulator owes a receipt (the operators' report shows it, due 3
/// working days after the end went out), and acknowledges it over HTTP.
/// </summary>
[NonParallelizable]
public sealed class RemovalReceiptTests
{
    private const string Court = "COURT-34-1122";
    private const string Market = "MARKET-33";
    private const string Food = "FOOD-35";

    private ServerHub _server = default!;
    private HubFactory _hub = default!;
    private HttpClient _operator = default!;
    private HttpClient _market = default!;
    private HttpClient _food = default!;
    private RawBroker _court = default!, _marketQueue = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _server = await ServerHub.StartAsync();
        _hub = _server.Hub;
        _operator = await _server.ClientAsync("operator:test");
        _market = await _server.ClientAsync(Market);
        _food = await _server.ClientAsync(Food);
        _court = await _server.AgencyAsync(Court);
        _marketQueue = await _server.AgencyAsync(Market);
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private Task Publish(string kind, string body) => ServerHub.PublishAsync(_court, Court, kind, body);

    /// <summary>Reads the regulator's own queue, as its broker user, until an event of <paramref name="routingKeyStart"/> arrives.</summary>
    private async Task<JsonElement> NextOnQueue(string routingKeyStart) => await Eventually.Value<JsonElement>(async () =>
    {
        while (await _marketQueue.GetAsync($"hub.subscriber.{BrokerUsers.UserOf(Market)}") is { } m)
            if (m.RoutingKey.StartsWith(routingKeyStart, StringComparison.Ordinal))
                return JsonDocument.Parse(Encoding.UTF8.GetString(m.Body.Span)).RootElement.Clone();
        return null;
    }, $"a {routingKeyStart} event on {Market}'s queue");

    private async Task<JsonElement> Report(string query)
    {
        using var r = await _operator.GetAsync($"/api/operator/removal-receipts{query}");
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Post(HttpClient client, string agency, object body)
    {
        using var r = await client.PostAsJsonAsync($"/api/subscriptions/{agency}/receipts", body);
        return (r.StatusCode, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Test]
    public async Task A_subscriber_that_received_a_listing_owes_a_receipt_when_the_court_removes_it_and_acknowledges_it_over_HTTP()
    {
        using (var put = await _operator.PutAsJsonAsync($"/api/operator/subscriptions/{Market}",
                   new { filter = new { eventKinds = new[] { "listed", "delisted", "expired" }, listTypes = new[] { "judgment-defaulter" } } }))
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());

        await Publish("judgment-defaulter-listed", $$"""
            { "source": { "agencyCode": "{{Court}}", "sourceRecordId": "RCPT-1" }, "legalBasis": "JD-2", "caseNumber": "(2026)皖1122执9101号",
              "enforcingCourt": "来安县人民法院", "subject": { "kind": "Organization", "name": "滁州回执测试有限公司", "uscc": "{{TestIdentifiers.Uscc(9101)}}" },
              "decisionDate": "2026-06-20" }
            """);
        var listed = await NextOnQueue("listed.judgment-defaulter.34");
        var listingId = listed.GetProperty("listingId").GetString()!;
        Assert.That((await Report("?agency=" + Market)).GetProperty("receipts").GetArrayLength(), Is.Zero, "a listing in force owes nothing");

        await Publish("judgment-defaulter-removed", $$"""
            { "source": { "agencyCode": "{{Court}}", "sourceRecordId": "RCPT-1-R" }, "legalBasis": "JD-2", "listingSourceRecordId": "RCPT-1",
              "reason": "Performed", "effectiveDate": "2026-11-20" }
            """);
        var delisted = await NextOnQueue("delisted.judgment-defaulter.34");
        Assert.That(delisted.GetProperty("listingId").GetString(), Is.EqualTo(listingId));

        // owed once the relay marked the end published (right after the broker's confirm)
        var pending = await Eventually.Value<JsonElement>(async () =>
        {
            var report = await Report("?agency=" + Market);
            return report.GetProperty("receipts").GetArrayLength() > 0 ? report : null;
        }, "the receipt in the operators' report");
        var receipt = pending.GetProperty("receipts").EnumerateArray().Single();
        Assert.That((receipt.GetProperty("agency").GetString(), receipt.GetProperty("listingId").GetString(), receipt.GetProperty("eventId").GetString(),
                receipt.GetProperty("status").GetString(), receipt.GetProperty("overdue").GetBoolean()),
            Is.EqualTo((Market, listingId, delisted.GetProperty("eventId").GetString(), "removed", false)));
        var publishedAt = receipt.GetProperty("publishedAt").GetDateTimeOffset();
        Assert.That(receipt.GetProperty("deadline").GetDateTimeOffset(), Is.EqualTo(WorkingDays.Embedded().ReceiptDeadline(publishedAt)));
        Assert.That(pending.GetProperty("agencies").EnumerateArray().Select(a => (a.GetProperty("agency").GetString(), a.GetProperty("receipts").GetInt64())),
            Is.EqualTo(new[] { (Market, 1L) }));
        Assert.That((await Report("?overdue=true")).GetProperty("receipts").GetArrayLength(), Is.Zero, "due in 3 working days");

        // another agency may not acknowledge for the regulator; nor acknowledge what it does not owe
        var (foreign, _) = await Post(_food, Market, new { listingIds = new[] { listingId } });
        Assert.That(foreign, Is.EqualTo(HttpStatusCode.Forbidden));
        var (notOwed, notOwedBody) = await Post(_food, Food, new { listingIds = new[] { listingId } });
        Assert.That(notOwed, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(notOwedBody.GetProperty("unknown").EnumerateArray().Select(u => u.GetString()), Is.EqualTo(new[] { listingId }));

        var unknown = Guid.NewGuid().ToString("N");
        var (status, answer) = await Post(_market, Market, new { listingIds = new[] { listingId.ToUpperInvariant(), unknown } });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
        Assert.That((answer.GetProperty("acknowledged").GetInt32(), answer.GetProperty("late").GetInt32(), answer.GetProperty("alreadyAcknowledged").GetInt32()),
            Is.EqualTo((1, 0, 0)));
        var acknowledged = answer.GetProperty("receipts").EnumerateArray().Single();
        Assert.That((acknowledged.GetProperty("listingId").GetString(), acknowledged.GetProperty("late").GetBoolean()), Is.EqualTo((listingId, false)));
        Assert.That(answer.GetProperty("unknown").EnumerateArray().Select(u => u.GetString()), Is.EqualTo(new[] { unknown }));

        var (again, againBody) = await Post(_market, Market, new { listingIds = new[] { listingId } });
        Assert.That(again, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(againBody.GetProperty("receipts")[0].GetProperty("alreadyAcknowledged").GetBoolean(), Is.True, "idempotent");
        Assert.That(againBody.GetProperty("receipts")[0].GetProperty("acknowledgedAt").GetDateTimeOffset(),
            Is.EqualTo(acknowledged.GetProperty("acknowledgedAt").GetDateTimeOffset()), "the first acknowledgement counts");
        Assert.That((await Report("?agency=" + Market)).GetProperty("receipts").GetArrayLength(), Is.Zero, "nothing pending any more");

        var db = _hub.Services.GetRequiredService<IndexDatabase>();
        var onSubject = await db.AuditOfSubjectAsync(delisted.GetProperty("hubSubjectId").GetString()!, 50, CancellationToken.None);
        Assert.That(onSubject.Where(a => a.Action == "receipts.acknowledge").Select(a => (a.Principal, a.Outcome)),
            Is.EqualTo(new[] { (Market, "acknowledged") }), "on the subject's audit trail, once");
    }

    [Test]
    public async Task An_acknowledgement_that_cannot_be_read_is_400_naming_the_field()
    {
        var (none, noneBody) = await Post(_market, Market, new { listingIds = Array.Empty<string>() });
        Assert.That((none, noneBody.GetProperty("field").GetString()), Is.EqualTo((HttpStatusCode.BadRequest, "listingIds")));

        var (tooMany, tooManyBody) = await Post(_market, Market, new { listingIds = Enumerable.Range(0, 1_001).Select(_ => Guid.NewGuid().ToString("N")).ToArray() });
        Assert.That((tooMany, tooManyBody.GetProperty("field").GetString()), Is.EqualTo((HttpStatusCode.BadRequest, "listingIds")));
        Assert.That(tooManyBody.GetProperty("detail").GetString(), Does.Contain("at most 1,000"));

        var (bad, badBody) = await Post(_market, Market, new { listingIds = new[] { Guid.NewGuid().ToString("N"), "91340000MA2RTY5X1K", null } });
        Assert.That((bad, badBody.GetProperty("field").GetString()), Is.EqualTo((HttpStatusCode.BadRequest, "listingIds[1]")));
        Assert.That(badBody.GetProperty("invalid").EnumerateArray().Select(i => i.GetProperty("field").GetString()), Is.EqualTo(new[] { "listingIds[1]", "listingIds[2]" }));

        using var text = await _market.PostAsync($"/api/subscriptions/{Market}/receipts", new StringContent("listingIds=1", Encoding.UTF8, "text/plain"));
        Assert.That(text.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
    }
}

/// <summary>The embedded default (in-memory bus, SQLite): no subscriber queues, but subscriptions and their receipts all the same.</summary>
[NonParallelizable]
public sealed class EmbeddedRemovalReceiptTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-receipts-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _court = default!, _operator = default!, _market = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(HubFactory.Embedded(_file));
        _court = await _hub.ClientAsAsync(CourtNoticeJson.Court);
        _operator = await _hub.ClientAsAsync("operator:test");
        _market = await _hub.ClientAsAsync("MARKET-33");
        await Eventually.Get(async () => (await _court.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _court.Dispose();
        _operator.Dispose();
        _market.Dispose();
        await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    [Test]
    public async Task A_removal_owes_receipts_from_the_subscribers_of_its_list_on_the_in_memory_bus_too()
    {
        using (var put = await _operator.PutAsJsonAsync("/api/operator/subscriptions/MARKET-33", new { filter = new { listTypes = new[] { "judgment-defaulter" } } }))
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());
        foreach (var (what, notice) in new[] { ("notices", CourtNoticeJson.Company("EMB-R")), ("removals", CourtNoticeJson.Removal("EMB-R-X", "EMB-R")) })
        {
            using var post = await _court.PostAsJsonAsync($"/api/adapters/court/{CourtNoticeJson.Court}/{what}", new JsonArray(notice));
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());
        }

        var receipts = await Eventually.Value<JsonElement>(async () =>
        {
            var report = await _operator.GetFromJsonAsync<JsonElement>("/api/operator/removal-receipts?agency=market-33");
            return report.GetProperty("receipts").GetArrayLength() == 2 ? report.GetProperty("receipts") : null;
        }, "two receipts: the company's listing and its legal representative's");
        var ids = receipts.EnumerateArray().Select(r => r.GetProperty("listingId").GetString()).ToArray();

        using var ack = await _market.PostAsJsonAsync("/api/subscriptions/MARKET-33/receipts", new { listingIds = ids });
        Assert.That(ack.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await ack.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("acknowledged").GetInt32(), Is.EqualTo(2));
    }
}
