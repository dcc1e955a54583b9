using Hub.Domain.Intake;
using Hub.Domain.Lifecycle;
using Hub.Domain.Resolution;
using Hub.Storage;

namespace Hub.Aggregator.Applying;

/// <summary>
/// A listed organisation reappearing under a new USCC: a market regulator registers a new organisation whose core name
/// (<see cref="OrganizationNames"/>) is that of an organisation with an issued listing in force, and whose legal
/// representative has the same normalised name as that organisation's current one — with an ID number or without.
/// A namesake company (a representative of another name) is none, nor is one whose representative's ID number or birth
/// date contradicts the listed one's (<see cref="MatchScorer"/>: different persons). The score and evidence are
/// <see cref="MatchScorer"/>'s for the two organisations with their identifiers left aside (a new USCC differs by
/// definition): core name, representative's name, province.
/// </summary>
internal static class Reappearance
{
    public const string Relation = "same-name-and-representative";

    /// <summary>An organisation with an issued listing in force, its core name, region and current representative.</summary>
    public sealed record Listed(string SubjectId, string Name, string? Region, string RepresentativeId, PersonFacts Representative, TiedListingRow Listing)
    {
        public string CoreName { get; } = OrganizationNames.Core(Name);
    }

    public sealed record Found(RegistrationIntent Registration, string OrganizationId, string PersonId, TiedListingRow Listing, MatchScore Score);

    /// <summary>A stored listing found by core name, with the organisation's representative as the batch knows it
    /// (<paramref name="current"/>, when the batch's book knows the organisation) or as stored.</summary>
    public static Listed Of(CoreNameListingRow row, (string PersonId, SubjectKeys Keys)? current) => new(
        row.SubjectId, row.DisplayName, row.HomeRegion ?? row.OriginProvince,
        current?.PersonId ?? row.RepresentativeId,
        current is { Keys: var k } ? Facts(k) : new PersonFacts(row.RepresentativeName, row.RepresentativeNumber, row.RepresentativeMasked),
        new TiedListingRow
        {
            Relation = Relation, Id = row.Id, SubjectId = row.SubjectId, ListType = row.ListType, LegalBasis = row.LegalBasis, OriginAgency = row.OriginAgency,
            OriginProvince = row.OriginProvince, Status = row.Status, ValidFrom = row.ValidFrom, ValidUntil = row.ValidUntil,
        });

    /// <summary>A listing this batch wrote for an organisation, with its representative from the batch's book.</summary>
    public static Listed Of(ListingRow listing, SubjectKeys organization, (string PersonId, SubjectKeys Keys) current) => new(
        listing.SubjectId, organization.Name, organization.RegionCode ?? listing.OriginProvince, current.PersonId, Facts(current.Keys),
        new TiedListingRow
        {
            Relation = Relation, Id = listing.Id, SubjectId = listing.SubjectId, ListType = listing.ListType, LegalBasis = listing.LegalBasis,
            OriginAgency = listing.OriginAgency, OriginProvince = listing.OriginProvince, Status = listing.Status, ValidFrom = listing.ValidFrom,
            ValidUntil = listing.ValidUntil,
        });

    /// <summary>For each registration of a new organisation, the listings in force of other organisations it reappears as.</summary>
    public static IEnumerable<Found> Find(IEnumerable<(RegistrationIntent Registration, string OrganizationId, string PersonId)> registered,
        IEnumerable<Listed> listed, DateOnly today)
    {
        var byCore = listed.Where(l => ListingClock.StateOn(l.Listing.Status, l.Listing.ValidFrom, l.Listing.ValidUntil, today).InForce)
            .GroupBy(l => l.CoreName).ToDictionary(g => g.Key, g => g.DistinctBy(l => l.Listing.Id).ToList());
        foreach (var (reg, orgId, personId) in registered)
        {
            if (reg.Organization.CoreName is not { } core || !byCore.TryGetValue(core, out var candidates)) continue;
            var rep = reg.LegalRepresentative;
            var incoming = Facts(rep);
            foreach (var c in candidates.Where(c => c.SubjectId != orgId))
            {
                // a namesake company: the name alone is no relocation
                if (c.Representative.NormalizedName != rep.NormalizedName) continue;
                // the same name but, by ID number or birth date, another person: the rules say different (score 0)
                if (c.RepresentativeId != personId && MatchScorer.Score(incoming, c.Representative).Score == 0) continue;
                var score = MatchScorer.Score(
                    new OrganizationFacts(reg.Organization.Name, Region: reg.Organization.RegionCode ?? reg.Agency.ProvinceCode, RepresentativeName: rep.NormalizedName),
                    new OrganizationFacts(c.Name, Region: c.Region, RepresentativeName: c.Representative.NormalizedName));
                yield return new Found(reg, orgId, personId, c.Listing, score);
            }
        }
    }

    private static PersonFacts Facts(SubjectKeys person) => new(person.NormalizedName,
        person.Keys.FirstOrDefault(k => k.Scheme == "ric" && k.Strong).Value, person.MaskedNumber, person.BirthDate);
}
