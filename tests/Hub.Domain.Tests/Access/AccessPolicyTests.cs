using Hub.Domain.Access;
using Hub.Domain.Catalogue;

namespace Hub.Domain.Tests.Access;

public sealed class AccessPolicyTests
{
    private readonly AccessPolicy _policy = AccessPolicy.Embedded(AgencyRegistry.Embedded());

    [Test]
    public void A_court_may_post_court_notices_and_look_subjects_up_but_not_check_or_see_whole_ID_numbers()
    {
        var court = _policy.Resolve("court-34-1122")!;
        Assert.Multiple(() =>
        {
            Assert.That(court.Principal, Is.EqualTo("COURT-34-1122"), "the registry's spelling");
            Assert.That(court.Has(Scopes.PublishCourtNotices), Is.True);
            Assert.That(court.Has(Scopes.ReadSubjects), Is.True);
            Assert.That(court.Has(Scopes.CheckSubjects), Is.False);
            Assert.That(court.Has(Scopes.ReadFullIds), Is.False);
            Assert.That(court.Has(Scopes.Operate), Is.False);
            Assert.That(court.Is("COURT-34-1122 "), Is.True);
            Assert.That(court.Is("COURT-35-0102"), Is.False);
        });
    }

    [Test]
    public void A_bureau_publishes_penalties_of_its_own_category_only()
    {
        var food = _policy.Resolve("FOOD-35")!;
        var labour = _policy.Resolve("LABOUR-32")!;
        Assert.Multiple(() =>
        {
            Assert.That(food.Has(Scopes.PublishPenalties("FoodSafety")), Is.True);
            Assert.That(food.Has(Scopes.PublishPenalties("Labour")), Is.False);
            Assert.That(food.Has(Scopes.PublishCourtNotices), Is.False);
            Assert.That(food.Has(Scopes.CheckSubjects), Is.True);
            Assert.That(labour.Has(Scopes.PublishPenalties("Labour")), Is.True);
        });
    }

    [Test]
    public void Staff_hold_roles_and_unknown_principals_hold_nothing()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_policy.Resolve("operator:ann")!.Has(Scopes.Operate), Is.True);
            Assert.That(_policy.Resolve("operator:ann")!.Has(Scopes.ReadAudit), Is.False);
            Assert.That(_policy.Resolve("auditor:bo")!.Has(Scopes.ReadAudit), Is.True);
            Assert.That(_policy.Resolve("auditor:bo")!.Has(Scopes.ReadFullIds), Is.True);
            Assert.That(_policy.Resolve("COURT-99-9999"), Is.Null);
            Assert.That(_policy.Resolve("king:me"), Is.Null);
            Assert.That(_policy.Resolve("operator:"), Is.Null);
            Assert.That(_policy.Resolve(""), Is.Null);
        });
    }

    [Test]
    public void Grants_add_scopes_to_one_agency()
    {
        var policy = AccessPolicy.Load("""
            { "scopes": { "subjects:read": "", "ids:read-full": "" }, "agencyKinds": { "court": ["subjects:read"] },
              "agencyGrants": { "COURT-35-0102": ["ids:read-full"] }, "roles": {} }
            """, AgencyRegistry.Embedded());
        Assert.That(policy.Resolve("COURT-35-0102")!.Has(Scopes.ReadFullIds), Is.True);
        Assert.That(policy.Resolve("COURT-34-1122")!.Has(Scopes.ReadFullIds), Is.False);
    }

    [Test]
    public void A_policy_granting_an_undeclared_scope_or_naming_an_unregistered_agency_is_refused()
    {
        var undeclared = Assert.Throws<InvalidDataException>(() => AccessPolicy.Load(
            """{ "scopes": {}, "agencyKinds": { "court": ["everything"] } }""", AgencyRegistry.Embedded()));
        Assert.That(undeclared!.Message, Does.Contain("everything"));
        var unknown = Assert.Throws<InvalidDataException>(() => AccessPolicy.Load(
            """{ "scopes": { "subjects:read": "" }, "agencyGrants": { "COURT-99-9999": ["subjects:read"] } }""", AgencyRegistry.Embedded()));
        Assert.That(unknown!.Message, Does.Contain("COURT-99-9999"));
    }
}
