using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Domain.Identifiers;
using Hub.Testing;

namespace Hub.Integration.Tests;

/// <summary>
/// The entity index through the real RabbitMQ and PostgreSQL: a masked-ID notice finds the person, a grey-zone pair is
/// reviewed over HTTP, the merge and its undoing reach subscribers as SubjectsMerged and SubjectSplit, and a listed
/// company's representative, or its name with its representative's name, setting up in Zhejiang alerts Zhejiang.
/// </summary>
[NonParallelizable]
public sealed class EntityIndexTests
{
    private const string Court = "COURT-34-1122";

    private ServerHub _server = default!;
    private RabbitMqTestVhost _vhost = default!;
    private HttpClient _operator = default!;
    private HttpClient _auditor = default!;
    private RawBroker _court = default!, _subscriber = default!;
    private string _identity = "";

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _server = await ServerHub.StartAsync();
        _vhost = _server.Vhost;
        _operator = await _server.ClientAsync("operator:test");
        _auditor = await _server.ClientAsync("auditor:test");
        _court = await _server.AgencyAsync(Court);
        _subscriber = await _server.ObserverAsync();
        _identity = await _subscriber.SubscribeEventsAsync("merged.#", "split.#");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private static string Ric(string birth, string sequence)
    {
        var first17 = "341122" + birth + sequence;
        return first17 + ResidentIdNumber.CheckCharacter(first17);
    }

    private Task Publish(string sourceId, string subject, string? representative = null) => ServerHub.PublishAsync(_court, Court, "judgment-defaulter-listed", $$"""
        { "source": { "agencyCode": "{{Court}}", "sourceRecordId": "{{sourceId}}" }, "legalBasis": "JD-2", "caseNumber": "(2026)皖1122执{{sourceId}}号",
          "enforcingCourt": "来安县人民法院", "subject": {{subject}}, {{(representative is null ? "" : $"\"legalRepresentative\": {representative},")}}
          "decisionDate": "2026-06-20" }
        """);

    private async Task<JsonElement> Person(string ric) => await Eventually.Value<JsonElement>(async () =>
    {
        using var r = await _auditor.PostAsJsonAsync("/api/subjects/search", new { ric });
        return r.IsSuccessStatusCode ? await r.Content.ReadFromJsonAsync<JsonElement>() : null;
    }, "the person");

    [Test]
    public async Task A_notice_with_the_public_masked_number_lists_the_person_the_index_knows_by_the_whole_number()
    {
        var whole = Ric("19750302", "283");
        await Publish("EI-1", $$"""{ "kind": "Person", "name": "刘振华", "residentIdNumber": "{{whole}}" }""");
        await Person(whole);

        await Publish("EI-2", $$"""{ "kind": "Person", "name": "刘振华", "residentIdNumber": "{{ResidentIdNumber.MaskNumber(whole)}}" }""");

        var person = await Eventually.Value<JsonElement>(async () =>
        {
            var p = await Person(whole);
            return p.GetProperty("listings").GetArrayLength() == 2 ? p : null;
        }, "both listings on the one person");
        Assert.That(person.GetProperty("listings").EnumerateArray().Select(l => l.GetProperty("reference").GetString()),
            Is.EquivalentTo(new[] { "(2026)皖1122执EI-1号", "(2026)皖1122执EI-2号" }));
    }

    [Test]
    public async Task A_grey_zone_pair_is_reviewed_merged_and_split_with_the_events_through_the_broker()
    {
        var whole = Ric("19780512", "361");
        await Publish("EI-P", $$"""{ "kind": "Person", "name": "张伟", "residentIdNumber": "{{whole}}" }""");
        var known = (await Person(whole)).GetProperty("hubId").GetString();
        await Publish("EI-C", $$"""{ "kind": "Organization", "name": "滁州实体测试有限公司", "uscc": "{{TestIdentifiers.Uscc(9301)}}" }""",
            """{ "kind": "Person", "name": "张伟", "birthDate": "1978-05-12" }""");

        var review = await Eventually.Value<JsonElement>(async () =>
        {
            var all = await _operator.GetFromJsonAsync<JsonElement>("/api/operator/reviews");
            return all.GetArrayLength() > 0 ? all[0] : null;
        }, "the pair on the review queue");
        Assert.That(review.GetProperty("known").GetProperty("hubId").GetString(), Is.EqualTo(known));
        Assert.That(review.GetProperty("known").GetProperty("identifiers")[0].GetProperty("value").GetString(), Does.Contain("****"),
            "an operator sees the number masked");
        Assert.That(review.GetProperty("evidence").EnumerateArray().Select(e => e.GetProperty("feature").GetString()), Is.EquivalentTo(new[] { "name", "birth date" }));
        var newcomer = review.GetProperty("new").GetProperty("hubId").GetString();

        using (var same = await _operator.PostAsJsonAsync($"/api/operator/reviews/{review.GetProperty("id").GetString()}/decision", new { same = true, note = "test" }))
            Assert.That(same.StatusCode, Is.EqualTo(HttpStatusCode.OK), await same.Content.ReadAsStringAsync());
        var merged = await Eventually.Value<JsonElement>(() => _subscriber.NextAsync(_identity, _ => true), "SubjectsMerged");
        Assert.That((merged.GetProperty("survivingHubSubjectId").GetString(), merged.GetProperty("mergedHubSubjectId").GetString()), Is.EqualTo((known, newcomer)));
        var redirected = await _auditor.GetFromJsonAsync<JsonElement>($"/api/subjects/{newcomer}");
        Assert.That(redirected.GetProperty("hubId").GetString(), Is.EqualTo(known), "the merged-away id resolves to the survivor");

        using (var undo = await _operator.PostAsync($"/api/operator/reviews/{review.GetProperty("id").GetString()}/undo", null))
            Assert.That(undo.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var split = await Eventually.Value<JsonElement>(() => _subscriber.NextAsync(_identity, _ => true), "SubjectSplit");
        Assert.That((split.GetProperty("fromHubSubjectId").GetString(), split.GetProperty("restoredHubSubjectId").GetString()), Is.EqualTo((known, newcomer)));
        Assert.That((await _auditor.GetFromJsonAsync<JsonElement>($"/api/subjects/{newcomer}")).GetProperty("hubId").GetString(), Is.EqualTo(newcomer));
    }

    [Test]
    public async Task A_listed_companys_representative_registering_in_Zhejiang_alerts_the_Zhejiang_market_regulator_through_its_queue()
    {
        const string market = "MARKET-33";
        using (var put = await _operator.PutAsJsonAsync($"/api/operator/subscriptions/{market}",
                   new { filter = new { eventKinds = new[] { "relocation-suspected" }, listTypes = new[] { "judgment-defaulter" }, originProvinces = new[] { "33" } } }))
            Assert.That(put.IsSuccessStatusCode, Is.True, await put.Content.ReadAsStringAsync());
        var regulator = await _server.AgencyAsync(market);

        var rep = Ric("19700909", "517");
        await Publish("EI-AH", $$"""{ "kind": "Organization", "name": "滁州迁址测试有限公司", "uscc": "{{TestIdentifiers.Uscc(9501)}}" }""",
            $$"""{ "kind": "Person", "name": "孙立新", "residentIdNumber": "{{rep}}" }""");
        await Person(rep);
        await ServerHub.PublishAsync(regulator, market, "organization-registered", $$"""
            { "source": { "agencyCode": "{{market}}", "sourceRecordId": "ZJ-REG-9502" }, "legalBasis": "MKT-REG",
              "organization": { "kind": "Organization", "name": "杭州迁址测试有限公司", "uscc": "{{TestIdentifiers.Uscc(9502)}}" },
              "legalRepresentative": { "kind": "Person", "name": "孙立新", "residentIdNumber": "{{rep}}" }, "registeredOn": "2026-11-20" }
            """);

        var alert = await Eventually.Value<JsonElement>(async () =>
        {
            var got = await regulator.GetAsync("hub.subscriber.market-33");
            return got is null ? null : JsonDocument.Parse(got.Body.ToArray()).RootElement.Clone();
        }, "RelocationSuspected on the Zhejiang regulator's queue");
        Assert.That((alert.GetProperty("relation").GetString(), alert.GetProperty("originProvince").GetString(), alert.GetProperty("province").GetString(),
            alert.GetProperty("crossProvince").GetBoolean()), Is.EqualTo(("legal-representative", "34", "33", true)));
        Assert.That(alert.GetProperty("organizationName").GetString(), Is.EqualTo("杭州迁址测试有限公司"));

        // the listed company's name and its representative's name reappear under a new USCC, the representative
        // without an ID number: the same alert, tied by name, with the features that matched
        await ServerHub.PublishAsync(regulator, market, "organization-registered", $$"""
            { "source": { "agencyCode": "{{market}}", "sourceRecordId": "ZJ-REG-9503" }, "legalBasis": "MKT-REG",
              "organization": { "kind": "Organization", "name": "滁州迁址测试（杭州）有限公司", "uscc": "{{TestIdentifiers.Uscc(9503)}}" },
              "legalRepresentative": { "kind": "Person", "name": "孙立新" }, "registeredOn": "2026-11-21" }
            """);
        var byName = await Eventually.Value<JsonElement>(async () =>
        {
            var got = await regulator.GetAsync("hub.subscriber.market-33");
            return got is null ? null : JsonDocument.Parse(got.Body.ToArray()).RootElement.Clone();
        }, "RelocationSuspected by name on the Zhejiang regulator's queue");
        Assert.That((byName.GetProperty("relation").GetString(), byName.GetProperty("organizationName").GetString(), byName.GetProperty("listingId").GetString(),
                byName.GetProperty("crossProvince").GetBoolean()),
            Is.EqualTo(("same-name-and-representative", "滁州迁址测试（杭州）有限公司", alert.GetProperty("listingId").GetString(), true)));
        Assert.That(byName.GetProperty("evidence").EnumerateArray().Select(e => e.GetProperty("feature").GetString()),
            Is.EqualTo(new[] { "name", "legal representative's name", "province" }));
        Assert.That(byName.GetProperty("matchScore").GetDouble(), Is.EqualTo(0.75).Within(1e-9));
    }
}
