using Hub.Domain.Access;
using Hub.Domain.Catalogue;

namespace Hub.Domain.Tests.Access;

public sealed class BrokerUsersTests
{
    private static readonly BrokerUsers Users = new(AgencyRegistry.Embedded(), LegalBasisCatalogue.Embedded());

    [Test]
    public void An_agencys_broker_user_is_its_code_in_lower_case_and_maps_back_to_it()
    {
        var court = AgencyRegistry.Embedded().Find("COURT-34-1122")!;

        Assert.That(BrokerUsers.UserOf(court), Is.EqualTo("court-34-1122"));
        Assert.That(Users.AgencyOf("court-34-1122"), Is.EqualTo(court));
        Assert.That(Users.AgencyOf("food-35")?.Code, Is.EqualTo("FOOD-35"));
    }

    [TestCase("COURT-34-1122", TestName = "AgencyOf_the_code_itself_is_no_broker_user")]
    [TestCase("court-34-1122 ", TestName = "AgencyOf_a_user_with_a_trailing_space_is_none")]
    [TestCase("guest", TestName = "AgencyOf_guest_is_none")]
    [TestCase("hub-adapter", TestName = "AgencyOf_the_hubs_own_user_is_none")]
    [TestCase("", TestName = "AgencyOf_an_empty_user_is_none")]
    [TestCase(null, TestName = "AgencyOf_no_user_is_none")]
    public void AgencyOf_anything_but_an_agencys_exact_user_is_none(string? brokerUser) =>
        Assert.That(Users.AgencyOf(brokerUser), Is.Null);

    [Test]
    public void Courts_may_write_the_judgment_defaulter_exchanges_their_batch_exchange_and_disputes_only()
    {
        Assert.That(Users.ExchangesFor("court"),
            Is.EqualTo(new[] { "hub.dispute-resolved", "hub.judgment-defaulter-listed", "hub.judgment-defaulter-listed-batch", "hub.judgment-defaulter-removed", "hub.listing-disputed" }));
        Assert.That(Users.WritePattern("court"),
            Is.EqualTo(@"^(hub\.dispute-resolved|hub\.judgment-defaulter-listed|hub\.judgment-defaulter-listed-batch|hub\.judgment-defaulter-removed|hub\.listing-disputed)$"));
    }

    [TestCase("food-safety")]
    [TestCase("labour")]
    [TestCase("environment")]
    public void Bureaus_that_issue_penalties_may_write_the_penalty_batch_disputes_and_repair_exchanges_only(string kind) =>
        Assert.That(Users.WritePattern(kind),
            Is.EqualTo(@"^(hub\.administrative-penalty-recorded|hub\.administrative-penalty-recorded-batch|hub\.credit-repair-granted|hub\.dispute-resolved|hub\.listing-disputed)$"));

    [Test]
    public void Market_regulators_register_organisations_and_record_food_safety_penalties_as_the_catalogue_says() =>
        Assert.That(Users.ExchangesFor("market"), Is.EqualTo(new[]
        {
            "hub.administrative-penalty-recorded", "hub.administrative-penalty-recorded-batch", "hub.credit-repair-granted", "hub.dispute-resolved",
            "hub.listing-disputed", "hub.organization-registered",
        }));

    [Test]
    public void A_kind_that_issues_nothing_may_write_nothing() =>
        Assert.That(Users.WritePattern("tax"), Is.EqualTo("^$"));

    [Test]
    public void A_catalogue_naming_a_record_kind_without_a_contract_is_refused_by_name()
    {
        var catalogue = new LegalBasisCatalogue("t", [new LegalBasis
        {
            Code = "X", RecordKinds = ["NoSuchRecord"], Title = "x", Citation = "x", IssuerKinds = ["court"],
        }]);
        Assert.That(() => new BrokerUsers(AgencyRegistry.Embedded(), catalogue).ExchangesFor("court"),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("NoSuchRecord"));
    }
}
