using System.Text.Json.Nodes;
using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Domain.Lifecycle;

namespace Hub.Domain.Tests.Catalogue;

public sealed class JointSanctionsCatalogueTests
{
    private static readonly LegalBasisCatalogue Bases = LegalBasisCatalogue.Embedded();
    private static readonly IReadOnlyCollection<string> Kinds = AccessPolicy.Embedded(AgencyRegistry.Embedded()).AgencyKinds;

    /// <summary>The shipped file, to change one thing in.</summary>
    private static JsonObject Shipped()
    {
        using var stream = typeof(JointSanctionsCatalogue).Assembly.GetManifestResourceStream("Hub.Domain.Catalogue.joint-sanctions.json")!;
        return (JsonObject)JsonNode.Parse(stream)!;
    }

    private static JointSanctionsCatalogue Load(JsonObject file) => JointSanctionsCatalogue.Load(file.ToJsonString(), Bases, Kinds);

    [Test]
    public void The_shipped_catalogue_loads_and_says_who_enforces_what()
    {
        var c = JointSanctionsCatalogue.Embedded(Bases, Kinds);
        Assert.Multiple(() =>
        {
            Assert.That(c.Version, Is.Not.Empty);
            Assert.That(c.Enforces("food-safety", "food-production-licence"), Is.True);
            Assert.That(c.Enforces("market", "serving-as-legal-representative"), Is.True);
            Assert.That(c.Enforces("food-safety", "serving-as-legal-representative"), Is.False);
            Assert.That(c.Enforces("court", "consumption-restriction"), Is.False);
            Assert.That(c.Enforces("market", "no-such-measure"), Is.False);
            Assert.That(c.MeasuresEnforcedBy("court"), Is.Empty);
            Assert.That(c.RuleFor("judgment-defaulter", "procurement-exclusion")?.ReachesImputed, Is.False);
            Assert.That(c.RuleFor("food-safety-serious", "food-production-licence")?.ReachesImputed, Is.True);
            Assert.That(c.RuleFor("environment-serious", "food-production-licence"), Is.Null);
        });
    }

    [Test]
    public void A_listing_restricts_only_in_force_and_a_derived_one_only_where_the_rule_reaches_it()
    {
        var c = JointSanctionsCatalogue.Embedded(Bases, Kinds);
        var day = new DateOnly(2026, 7, 1);
        var inForce = ListingClock.StateOn("active", new DateOnly(2026, 6, 11), null, day);
        var ended = ListingClock.StateOn("removed", new DateOnly(2026, 6, 11), null, day);
        var notBegun = ListingClock.StateOn("active", new DateOnly(2026, 8, 1), null, day);
        Assert.Multiple(() =>
        {
            Assert.That(c.Restricting("procurement-exclusion", "judgment-defaulter", imputed: false, inForce)?.Id, Is.EqualTo("JS-JD-PROCUREMENT"));
            Assert.That(c.Restricting("procurement-exclusion", "judgment-defaulter", imputed: true, inForce), Is.Null);
            Assert.That(c.Restricting("consumption-restriction", "judgment-defaulter", imputed: true, inForce)?.Id, Is.EqualTo("JS-JD-CONSUMPTION"));
            Assert.That(c.Restricting("procurement-exclusion", "judgment-defaulter", imputed: false, ended), Is.Null);
            Assert.That(c.Restricting("procurement-exclusion", "judgment-defaulter", imputed: false, notBegun), Is.Null);
            Assert.That(c.Restricting("food-production-licence", "judgment-defaulter", imputed: false, inForce), Is.Null);
        });
    }

    [Test]
    public void Every_measure_a_legal_basis_names_has_a_rule_and_every_rule_a_basis()
    {
        var c = JointSanctionsCatalogue.Embedded(Bases, Kinds);
        foreach (var basis in Bases.Bases.Where(b => b.ListType is not null))
            Assert.That(c.Rules.Where(r => r.ListType == basis.ListType).Select(r => r.Measure), Is.EquivalentTo(basis.Measures), basis.Code);
    }

    [Test]
    public void A_rule_naming_an_unknown_list_type_is_refused_naming_it()
    {
        var file = Shipped();
        file["rules"]![0]!["listType"] = "tax-serious";
        Assert.That(() => Load(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains("list type 'tax-serious'").And.Message.Contains("JS-JD-CONSUMPTION"));
    }

    [Test]
    public void A_rule_naming_an_undeclared_measure_is_refused_naming_it()
    {
        var file = Shipped();
        file["rules"]![0]!["measure"] = "export-ban";
        Assert.That(() => Load(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains("measure 'export-ban'"));
    }

    [Test]
    public void A_measure_enforced_by_an_unknown_agency_kind_is_refused_naming_it()
    {
        var file = Shipped();
        file["measures"]![0]!["enforcedBy"] = new JsonArray("market", "customs");
        Assert.That(() => Load(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains("agency kind 'customs'"));
    }

    [Test]
    public void A_catalogue_that_disagrees_with_the_legal_basis_measures_is_refused()
    {
        var file = Shipped();
        var rules = (JsonArray)file["rules"]!;
        rules.Remove(rules.First(r => (string?)r!["id"] == "JS-FOOD-LICENCE"));
        Assert.That(() => Load(file), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains("FOOD-SERIOUS").And.Message.Contains("food-production-licence"));
    }

    [Test]
    public void Two_rules_for_one_list_type_and_measure_or_a_missing_version_are_refused()
    {
        var twice = Shipped();
        var copy = twice["rules"]![0]!.DeepClone();
        copy["id"] = "JS-JD-CONSUMPTION-2";
        ((JsonArray)twice["rules"]!).Add(copy);
        Assert.That(() => Load(twice), Throws.TypeOf<InvalidDataException>().With.Message.Contains("JS-JD-CONSUMPTION and JS-JD-CONSUMPTION-2"));
        var noVersion = Shipped();
        noVersion["version"] = "";
        Assert.That(() => Load(noVersion), Throws.TypeOf<InvalidDataException>().With.Message.Contains("no version"));
    }
}
