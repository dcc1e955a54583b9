using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Testing;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>Lookup by name, with scores and evidence, and a subject's relations one hop out, over HTTP on the embedded
/// default.</summary>
public sealed class NameSearchTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-names-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _court = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(HubFactory.Embedded(_file));
        _court = await _hub.ClientAsAsync(Court);
        await Eventually.Get(async () => (await _court.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
        using var post = await _court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", new JsonArray(Company("NS-1")));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());
        await Eventually.Get(async () => (await _court.GetAsync($"/api/subjects?uscc={CompanyUscc}")).IsSuccessStatusCode ? "listed" : null, "the company");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _court.Dispose();
        await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    private async Task<List<JsonElement>> Candidates(object search)
    {
        using var r = await _court.PostAsJsonAsync("/api/subjects/candidates", search);
        var text = await r.Content.ReadAsStringAsync();
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    [Test]
    public async Task An_organisation_is_found_by_its_name_written_another_way_with_the_evidence()
    {
        var found = await Candidates(new { name = "安徽省滁州市皖东建设工程（滁州）有限责任公司", kind = "Organization" });

        var company = found.Single();
        Assert.That(company.GetProperty("identifiers").EnumerateArray().Select(i => i.GetProperty("value").GetString()), Does.Contain(CompanyUscc));
        Assert.That(company.GetProperty("evidence")[0].GetProperty("detail").GetString(), Is.EqualTo("the same name, 皖东建设工程"));
        Assert.That(company.GetProperty("listingsInForce").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task A_person_found_by_name_and_birth_date_is_a_candidate_for_review_and_by_name_alone_a_weak_one()
    {
        var byBirth = (await Candidates(new { name = "王建国", kind = "Person", birthDate = "1978-05-12" })).Single();
        Assert.That((byBirth.GetProperty("decision").GetString(), byBirth.GetProperty("score").GetDouble()), Is.EqualTo(("Review", 0.65)));
        Assert.That(byBirth.GetProperty("identifiers")[0].GetProperty("value").GetString(), Does.Contain("****"), "masked for a caller without ids:read-full");

        var byName = (await Candidates(new { name = "王建国", kind = "Person" })).Single();
        Assert.That(byName.GetProperty("decision").GetString(), Is.EqualTo("Distinct"), "a name alone says nothing about who it is");

        Assert.That(await Candidates(new { name = "王建国", kind = "Person", birthDate = "1978-05-13" }), Is.Empty);
    }

    [Test]
    public async Task A_person_shows_the_organisations_they_represent_with_their_listings()
    {
        using var r = await _court.PostAsJsonAsync("/api/subjects/search", new { ric = RepRic });
        var person = await r.Content.ReadFromJsonAsync<JsonElement>();

        var relation = person.GetProperty("relations").EnumerateArray().Single();
        Assert.That(relation.GetProperty("organization").GetProperty("name").GetString(), Is.EqualTo("安徽皖东建设工程有限公司"));
        var listing = relation.GetProperty("otherSideListings").EnumerateArray().Single();
        Assert.That((listing.GetProperty("listType").GetString(), listing.GetProperty("activeNow").GetBoolean()), Is.EqualTo(("judgment-defaulter", true)));
    }

    [Test]
    public async Task A_search_without_a_name_or_kind_is_a_400_naming_the_field()
    {
        using var noName = await _court.PostAsJsonAsync("/api/subjects/candidates", new { kind = "Person" });
        Assert.That((noName.StatusCode, (await noName.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString()), Is.EqualTo((HttpStatusCode.BadRequest, "name")));
        using var badKind = await _court.PostAsJsonAsync("/api/subjects/candidates", new { name = "王建国", kind = "Ghost" });
        Assert.That((await badKind.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString(), Is.EqualTo("kind"));
    }
}
