using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Domain.Subscriptions;

namespace Hub.Domain.Tests.Subscriptions;

public sealed class SubscriptionRulesTests
{
    private static readonly LegalBasisCatalogue Bases = LegalBasisCatalogue.Embedded();
    private static readonly AgencyRegistry Agencies = AgencyRegistry.Embedded();
    private static readonly AccessPolicy Access = AccessPolicy.Embedded(Agencies);
    private static readonly SubscriptionRules Rules = new(Agencies, Access, Bases, JointSanctionsCatalogue.Embedded(Bases, Access.AgencyKinds));

    private static (ResolvedSubscription? Value, SubscriptionProblem? Problem) Resolve(string agency, SubscriptionFilter? filter = null, string delivery = "amqp",
        string? url = null, bool requireHttps = true) =>
        Rules.Resolve(new Subscription { Agency = agency, Delivery = delivery, WebhookUrl = url, Filter = filter ?? new SubscriptionFilter() }, requireHttps);

    [TestCase("food-safety", new[] { "food-safety-serious" })]
    [TestCase("labour", new[] { "wage-arrears-serious" })]
    [TestCase("environment", new[] { "environment-serious" })]
    [TestCase("market", new[] { "food-safety-serious", "judgment-defaulter", "wage-arrears-serious" })]
    public void Each_kind_may_receive_the_lists_it_issues_or_enforces_as_it_grants(string kind, string[] listTypes) =>
        Assert.That(Rules.LawfulListTypes(kind).Keys.Order(StringComparer.Ordinal), Is.EqualTo(listTypes));

    [Test]
    public void Procurement_gives_a_basis_to_check_not_to_subscribe()
    {
        var (value, problem) = Resolve("LABOUR-32", new SubscriptionFilter { ListTypes = ["judgment-defaulter"] });
        Assert.That(value, Is.Null);
        Assert.That((problem!.Forbidden, problem.Field), Is.EqualTo((true, "filter.listTypes[0]")));
        Assert.That(problem.Message, Does.Contain("may not receive judgment-defaulter"));

        var measure = Resolve("LABOUR-32", new SubscriptionFilter { Measures = ["procurement-exclusion"] }).Problem;
        Assert.That((measure?.Forbidden, measure?.Message), Is.EqualTo(((bool?)true,
            "procurement-exclusion is applied by checking the subjects at the moment of a tender or grant (POST /api/checks/batch), not by receiving the list as it changes")));
    }

    [Test]
    public void An_empty_filter_is_everything_lawful_bound_key_by_key()
    {
        var food = Resolve("FOOD-35").Value!;
        Assert.That(food.EventKinds, Is.EqualTo(EventKinds.All));
        Assert.That(food.ListTypes, Is.EqualTo(new[] { "food-safety-serious" }));
        Assert.That(food.BindingKeys, Is.EqualTo(new[]
        {
            "listed.food-safety-serious.*", "delisted.food-safety-serious.*", "expired.food-safety-serious.*", "disputed.food-safety-serious.*",
            "dispute-resolved.food-safety-serious.*", "relocation-suspected.food-safety-serious.*", "merged.#", "split.#", "rejected.food-35",
        }));
        Assert.That(food.Queue, Is.EqualTo("hub.subscriber.food-35"));
    }

    [Test]
    public void Provinces_and_kinds_narrow_the_bindings_and_the_routing_agrees()
    {
        var market = Resolve("MARKET-33", new SubscriptionFilter { EventKinds = ["listed", "delisted", "expired"], ListTypes = ["judgment-defaulter"], OriginProvinces = ["34", "35"] }).Value!;
        Assert.That(market.BindingKeys, Is.EqualTo(new[]
        {
            "listed.judgment-defaulter.34", "listed.judgment-defaulter.35", "delisted.judgment-defaulter.34", "delisted.judgment-defaulter.35",
            "expired.judgment-defaulter.34", "expired.judgment-defaulter.35",
        }));
        Assert.That(market.Receives("listed.judgment-defaulter.34"), Is.True);
        Assert.That(market.Receives("listed.judgment-defaulter.11"), Is.False);
        Assert.That(market.Receives("disputed.judgment-defaulter.34"), Is.False);
        Assert.That(market.Receives("rejected.market-33"), Is.False);
    }

    [Test]
    public void Categories_and_measures_narrow_the_list_types()
    {
        var market = Resolve("MARKET-33", new SubscriptionFilter { Categories = ["FoodSafety"] }).Value!;
        Assert.That(market.ListTypes, Is.EqualTo(new[] { "food-safety-serious" }));
        var legalRep = Resolve("MARKET-33", new SubscriptionFilter { Measures = ["serving-as-legal-representative"] }).Value!;
        Assert.That(legalRep.ListTypes, Is.EqualTo(new[] { "food-safety-serious", "judgment-defaulter" }));
    }

    [Test]
    public void A_court_may_receive_only_the_refusals_of_its_own_records()
    {
        Assert.That(Resolve("COURT-34-1122").Problem?.Forbidden, Is.True);
        var rejections = Resolve("COURT-34-1122", new SubscriptionFilter { EventKinds = ["rejected"] }).Value!;
        Assert.That(rejections.BindingKeys, Is.EqualTo(new[] { "rejected.court-34-1122" }));
        Assert.That(rejections.Receives("rejected.court-34-1122"), Is.True);
        Assert.That(rejections.Receives("rejected.court-35-0102"), Is.False);
    }

    [TestCase("NO-SUCH", "{}", "agency")]
    [TestCase("FOOD-35", """{ "eventKinds": ["listed", "delisted", "expired", "relisted"] }""", "filter.eventKinds[3]")]
    [TestCase("FOOD-35", """{ "eventKinds": ["listed", "delisted"] }""", "filter.eventKinds")]
    [TestCase("FOOD-35", """{ "listTypes": ["no-such-list"] }""", "filter.listTypes[0]")]
    [TestCase("FOOD-35", """{ "originProvinces": ["3"] }""", "filter.originProvinces[0]")]
    [TestCase("FOOD-35", """{ "originProvinces": ["99"] }""", "filter.originProvinces[0]")]
    [TestCase("FOOD-35", """{ "categories": ["Tea"] }""", "filter.categories[0]")]
    [TestCase("FOOD-35", """{ "measures": ["no-such-measure"] }""", "filter.measures[0]")]
    [TestCase("MARKET-33", """{ "categories": ["Labour"], "measures": ["food-production-licence"] }""", "filter")]
    public void Malformed_filters_are_400_naming_the_field(string agency, string filter, string field)
    {
        var f = System.Text.Json.JsonSerializer.Deserialize<SubscriptionFilter>(filter, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
        var problem = Resolve(agency, f).Problem;
        Assert.That((problem?.Forbidden, problem?.Field), Is.EqualTo(((bool?)false, field)), problem?.Message);
    }

    [Test]
    public void A_webhook_needs_https_in_server_mode_and_an_absolute_url()
    {
        Assert.That(Resolve("FOOD-35", delivery: "webhook", url: "http://food.example/hub").Problem?.Message, Does.Contain("not HTTPS"));
        Assert.That(Resolve("FOOD-35", delivery: "webhook", url: "http://localhost:9000/hub", requireHttps: false).Value, Is.Not.Null);
        Assert.That(Resolve("FOOD-35", delivery: "webhook", url: "/hub").Problem?.Field, Is.EqualTo("webhookUrl"));
        Assert.That(Resolve("FOOD-35", delivery: "amqp", url: "https://food.example/hub").Problem?.Field, Is.EqualTo("webhookUrl"));
        Assert.That(Resolve("FOOD-35", delivery: "pigeon").Problem?.Field, Is.EqualTo("delivery"));
    }

    [Test]
    public void The_registry_file_refuses_an_agency_named_twice()
    {
        const string json = """{ "subscriptions": [ { "agency": "FOOD-35" }, { "agency": "food-35" } ] }""";
        Assert.That(() => SubscriptionRegistry.Load(json), Throws.TypeOf<InvalidDataException>().With.Message.Contains("twice"));
        Assert.That(SubscriptionRegistry.Embedded(), Is.Empty);
    }
}
