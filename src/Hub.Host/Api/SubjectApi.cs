using Hub.Domain.Intake;
using Hub.Domain.Catalogue;
using Hub.Domain.Identifiers;
using Hub.Domain.Access;
using Hub.Domain.Lifecycle;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Storage.Audit;

namespace Hub.Host.Api;

/// <summary>Who a subject is and on which lists it stands. Person ID numbers are shown masked.</summary>
public sealed record SubjectView(
    string HubId,
    string Kind,
    string DisplayName,
    string? HomeRegion,
    IReadOnlyList<IdentifierView> Identifiers,
    IReadOnlyList<RelationView> Relations,
    IReadOnlyList<ListingView> Listings,
    bool Restricted,
    string CatalogueVersion,
    DateOnly AsOf);

public sealed record IdentifierView(string Scheme, string Value);

public sealed record SubjectRef(string HubId, string Name, string Kind);

/// <summary>A relation with the subject on its other side and that subject's own issued listings (one hop out: the
/// organisations a person represents, with their listings).</summary>
public sealed record RelationView(string Role, SubjectRef Organization, SubjectRef Person, DateOnly ValidFrom, DateOnly? ValidTo, string SourceAgency,
    IReadOnlyList<RelatedListingView> OtherSideListings);

public sealed record RelatedListingView(string ListingId, string ListType, string LegalBasis, string OriginAgency, string Status, bool ActiveNow);

/// <summary>A name search: the name, the kind, and what else is known to narrow and score the candidates.</summary>
public sealed record NameSearch(string? Name, string? Kind, DateOnly? BirthDate, string? Region, string? MaskedIdNumber);

/// <summary>A candidate for a name search, with its score and the evidence behind it.</summary>
public sealed record CandidateView(string HubId, string Kind, string DisplayName, IReadOnlyList<IdentifierView> Identifiers, double Score, string Decision,
    IReadOnlyList<Hub.Domain.Resolution.Evidence> Evidence, int ListingsInForce);

public sealed record ListingView(
    string ListingId,
    string ListType,
    string LegalBasis,
    string? LegalBasisTitle,
    string? Citation,
    string CatalogueVersion,
    string OriginAgency,
    string OriginProvince,
    string? OriginProvinceName,
    string Reference,
    DateOnly ValidFrom,
    DateOnly? ValidUntil,
    string Status,
    bool ActiveNow,
    string? StatusReason,
    DateOnly? EndedOn,
    DateTimeOffset RecordedAt,
    string? ImputedFromListingId,
    string? ImputedRole,
    IReadOnlyList<string> Measures,
    DisputeView? Dispute);

/// <summary>An undecided dispute of a listing (a correction request or an appeal): the listing is in force meanwhile.
/// <c>reviewDeadline</c>: the last day its issuer has to decide it (none for an appeal); <c>overdue</c> once that day
/// has passed (China Standard Time).</summary>
public sealed record DisputeView(string DisputeId, string Kind, DateOnly FiledOn, DateOnly? ReviewDeadline, bool Overdue);

/// <summary>A person lookup: the identifier travels in the body, never in a URL (URLs end up in access logs and proxies).</summary>
public sealed record SubjectSearch(string? Ric, string? Uscc, string? OrgCode);

public static class SubjectApi
{
    public static WebApplication MapSubjectApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/subjects").WithTags("Subjects");
        api.MapGet("/", FindAsync).RequireScope(Scopes.ReadSubjects)
            .WithSummary("Look an organisation up by USCC or organisation code")
            .WithDescription("Exactly one of `uscc` or `orgCode`. A person's ID number is not taken in a URL: use POST /api/subjects/search. " +
                             "The lookup, and every person shown beside the subject, is on the audit log before the answer is sent.")
            .Produces<SubjectView>().ProducesProblem(400).ProducesProblem(404);
        api.MapPost("/search", SearchAsync).RequireScope(Scopes.ReadSubjects)
            .WithSummary("Look a subject up by an identifier in the body")
            .WithDescription("Body: exactly one of `ric` (an 18-character or 15-digit resident ID number; a masked one cannot identify anybody), " +
                             "`uscc` or `orgCode`. ID numbers in the answer are masked unless the caller holds `ids:read-full`.")
            .Accepts<SubjectSearch>("application/json")
            .Produces<SubjectView>().ProducesProblem(400).ProducesProblem(404);
        api.MapPost("/candidates", CandidatesAsync).RequireScope(Scopes.ReadSubjects)
            .WithSummary("Look subjects up by name: candidates with scores and the evidence behind each")
            .WithDescription("Body: `name` and `kind` (`Person` or `Organization`), optionally `birthDate`, `region` (GB/T 2260) and `maskedIdNumber`. " +
                             "Persons are found by the same normalised name (and birth date when given), organisations by their core name — " +
                             "without company form, place prefix, brackets, spaces and punctuation. Each candidate is scored by the rules the " +
                             "aggregator links by; a name alone is never enough to say it is the same. At most 20, best first; names travel in the " +
                             "body, not the URL. Audited.")
            .Accepts<NameSearch>("application/json")
            .Produces<List<CandidateView>>().ProducesProblem(400);
        api.MapGet("/{hubId}", GetAsync).RequireScope(Scopes.ReadSubjects)
            .WithSummary("A subject by its hub id")
            .Produces<SubjectView>().ProducesProblem(404);
        api.MapSubjectHistory();
        return app;
    }

    private static async Task<IResult> FindAsync(string? uscc, string? orgCode, HttpContext http, IndexDatabase db,
        LegalBasisCatalogue catalogue, IAuditTrail audit, TimeProvider time, CancellationToken ct)
    {
        // not a parameter of the operation (the API description must not invite ID numbers into URLs), but answered
        if (http.Request.Query.ContainsKey("ric"))
            return Refused(audit, http, time, "an ID number in the URL") ?? Problems.BadRequest("resident ID numbers are not taken in URLs (they end up in logs): POST /api/subjects/search with {\"ric\": \"...\"}", "ric");
        return await LookupAsync(new SubjectSearch(null, uscc, orgCode), http, db, catalogue, audit, time, ct);
    }

    private static Task<IResult> SearchAsync(SubjectSearch search, HttpContext http, IndexDatabase db, LegalBasisCatalogue catalogue,
        IAuditTrail audit, TimeProvider time, CancellationToken ct) => LookupAsync(search, http, db, catalogue, audit, time, ct);

    private static async Task<IResult> LookupAsync(SubjectSearch search, HttpContext http, IndexDatabase db, LegalBasisCatalogue catalogue,
        IAuditTrail audit, TimeProvider time, CancellationToken ct)
    {
        var (uscc, ric, orgCode) = (search.Uscc, search.Ric, search.OrgCode);
        var given = new[] { uscc, ric, orgCode }.Count(v => !string.IsNullOrWhiteSpace(v));
        if (given != 1) return Refused(audit, http, time, "no or several identifiers") ?? Problems.BadRequest("give exactly one of uscc, ric or orgCode");
        var (check, scheme) =
            !string.IsNullOrWhiteSpace(uscc) ? (Uscc.Check(uscc), "uscc")
            : !string.IsNullOrWhiteSpace(orgCode) ? (OrganizationCode.Check(orgCode), "orgCode")
            : (ResidentIdNumber.Check(ric!), "ric");
        if (!check.IsValid) return Refused(audit, http, time, $"{scheme}: {check.Reason}") ?? Problems.BadRequest($"{scheme}: {check.Reason}", scheme);
        if (check.Scheme == IdentifierScheme.ResidentIdMasked)
            return Refused(audit, http, time, "a masked ID number") ?? Problems.BadRequest("a masked ID number cannot identify a subject; give the full number", scheme);
        var stored = scheme == "orgCode" ? "org-code" : scheme;
        var shown = scheme == "ric" ? ResidentIdNumber.MaskNumber(check.Normalized!) : check.Normalized!;
        // found and read in one round trip
        var detail = await db.SubjectDetailByIdentifierAsync(stored, check.Normalized!, ct);
        if (detail is null)
        {
            await Disclosed(audit, http.Caller(), time, null, "not-found", $"by {scheme} {shown}", ct);
            return Problems.NotFound($"no subject with {scheme} {shown}");
        }
        return await ViewAsync(detail, $"by {scheme} {shown}", http, catalogue, audit, time, ct);
    }

    private static async Task<IResult> GetAsync(string hubId, HttpContext http, IndexDatabase db, LegalBasisCatalogue catalogue, IAuditTrail audit,
        TimeProvider time, CancellationToken ct) =>
        await db.SubjectDetailAsync(hubId, ct) is { } detail
            ? await ViewAsync(detail, "by hub id", http, catalogue, audit, time, ct)
            : await NotFoundAsync(audit, http.Caller(), time, "by hub id", hubId, ct);

    private static async Task<IResult> ViewAsync(SubjectDetail detail, string how, HttpContext http, LegalBasisCatalogue catalogue,
        IAuditTrail audit, TimeProvider time, CancellationToken ct)
    {
        var caller = http.Caller();
        var (subject, identifiers, listings, relations, related, disputes, relatedListings) = detail;
        // terms are calendar dates in China Standard Time: the day, and what each listing means on it, come from one place
        var clock = new ListingClock(time);
        var today = clock.Today;
        var others = related.Append(subject).ToDictionary(s => s.Id);

        var listingViews = listings.Select(l =>
        {
            var basis = catalogue.Find(l.LegalBasis);
            // the stored status says whether the issuer ended it; a term that ran out shows as expired
            var (status, activeNow) = ListingClock.StateOn(l.Status, l.ValidFrom, l.ValidUntil, today);
            // a dispute belongs to the listing's source record: it marks whichever revision is in force
            var open = l.Status == ListingStatus.Active
                ? disputes.FirstOrDefault(d => d.ResolvedAt is null && d.AgencyCode == l.OriginAgency && d.ListingSourceRecordId == l.SourceRecordId)
                : null;
            return new ListingView(l.Id, l.ListType, l.LegalBasis, basis?.Title, basis?.Citation, l.CatalogueVersion, l.OriginAgency,
                l.OriginProvince, Regions.ProvinceOf(l.OriginProvince)?.Name, l.Reference, l.ValidFrom, l.ValidUntil, status, activeNow,
                l.StatusReason, l.EndedOn, l.RecordedAt, l.ParentListingId, l.ImputedRole, basis?.Measures ?? [],
                open is null ? null : new DisputeView(open.Id, open.Kind, open.FiledOn, open.ReviewDeadline, open.ReviewDeadline < today));
        }).ToList();

        // one hop out: the issued listings of the subjects on the other side of each relation (read with the subject)
        var otherSide = relatedListings.GroupBy(l => l.SubjectId).ToDictionary(g => g.Key, g => (IReadOnlyList<RelatedListingView>)g.Select(l =>
        {
            var (status, activeNow) = ListingClock.StateOn(l.Status, l.ValidFrom, l.ValidUntil, today);
            return new RelatedListingView(l.Id, l.ListType, l.LegalBasis, l.OriginAgency, status, activeNow);
        }).ToList());
        var view = new SubjectView(
            subject.Id, subject.Kind, subject.DisplayName, subject.HomeRegion,
            IdentifierViews(identifiers, caller),
            relations.Select(r => new RelationView(r.Role, Ref(others, r.OrganizationId), Ref(others, r.PersonId), r.ValidFrom, r.ValidTo, r.AgencyCode,
                otherSide.GetValueOrDefault(r.OrganizationId == subject.Id ? r.PersonId : r.OrganizationId) ?? [])).ToList(),
            listingViews,
            listingViews.Any(l => l.ActiveNow),
            catalogue.Version,
            today);

        // on record before it is answered: the subject, and every person shown beside it
        await Disclosed(audit, caller, time, subject.Id, "disclosed",
            $"{how}; {listingViews.Count} listings, {relations.Count} relations; {IdsShown(identifiers, caller)}", ct,
            related.Where(r => r.Kind == "Person").Select(r => r.Id).ToList());
        return Results.Ok(view);
    }

    private static async Task<IResult> CandidatesAsync(NameSearch search, HttpContext http, IndexDatabase db, IAuditTrail audit, TimeProvider time,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(search.Name) || search.Name.Length > 200)
            return Refused(audit, http, time, "candidates: no name") ?? Problems.BadRequest("name is missing (or longer than 200 characters)", "name");
        if (search.Kind is not ("Person" or "Organization"))
            return Refused(audit, http, time, "candidates: kind") ?? Problems.BadRequest("kind must be Person or Organization", "kind");
        if (search.MaskedIdNumber is { } m && ResidentIdNumber.Check(m) is not { IsValid: true, Scheme: IdentifierScheme.ResidentIdMasked })
            return Refused(audit, http, time, "candidates: masked ID number unreadable")
                   ?? Problems.BadRequest("maskedIdNumber must be a masked resident ID number such as 3401041975****2837", "maskedIdNumber");
        var caller = http.Caller();
        var today = new ListingClock(time).Today;
        var normalized = NameNormalizer.Normalize(search.Name);
        IReadOnlyList<SubjectRow> found = search.Kind == "Person"
            ? search.BirthDate is { } born
                ? await db.SubjectsByWeakKeyAsync(SubjectKeys.NameBirthScheme, SubjectKeys.NameBirthKey(normalized, born), 50, ct)
                : await db.PersonsByNameAsync(normalized, 50, ct)
            : await db.OrganizationsByCoreNameAsync(Hub.Domain.Resolution.OrganizationNames.Core(search.Name), 50, ct);
        var subjects = found.DistinctBy(s => s.Id).ToList();
        // the candidates' identifiers and listings in two statements for all of them, not a subject view each
        var (identifiersOf, listingsOf) = await db.CandidateDetailsAsync(subjects.Select(s => s.Id).ToList(), ct);
        var candidates = new List<CandidateView>();
        foreach (var s in subjects)
        {
            var identifiers = identifiersOf[s.Id].ToList();
            var full = identifiers.FirstOrDefault(i => i.Scheme == "ric" && i.Strong)?.Value;
            var masked = identifiers.FirstOrDefault(i => i.Scheme == SubjectKeys.MaskedScheme)?.Value;
            var score = search.Kind == "Person"
                ? Hub.Domain.Resolution.MatchScorer.Score(new Hub.Domain.Resolution.PersonFacts(normalized, null, search.MaskedIdNumber, search.BirthDate, search.Region),
                    new Hub.Domain.Resolution.PersonFacts(s.NormalizedName, full, masked, null, s.HomeRegion))
                : Hub.Domain.Resolution.MatchScorer.Score(new Hub.Domain.Resolution.OrganizationFacts(search.Name, Region: search.Region),
                    new Hub.Domain.Resolution.OrganizationFacts(s.DisplayName, Region: s.HomeRegion ?? identifiers.FirstOrDefault(i => i.Scheme == "uscc")?.Value[2..8]));
            candidates.Add(new CandidateView(s.Id, s.Kind, s.DisplayName, IdentifierViews(identifiers, caller), Math.Round(score.Score, 4),
                score.Decision.ToString(), score.Evidence,
                listingsOf[s.Id].Count(l => ListingClock.StateOn(l.Status, l.ValidFrom, l.ValidUntil, today).InForce)));
        }
        var best = candidates.OrderByDescending(c => c.Score).ThenBy(c => c.HubId, StringComparer.Ordinal).Take(20).ToList();
        await Disclosed(audit, caller, time, null, "disclosed", $"candidates by name ({search.Kind}): {best.Count} shown", ct,
            best.Select(c => c.HubId).ToList());
        return Results.Ok(best);
    }

    /// <summary>A subject's identifiers as this caller may see them: resident ID numbers masked without <c>ids:read-full</c>.</summary>
    internal static IReadOnlyList<IdentifierView> IdentifierViews(IReadOnlyList<IdentifierRow> identifiers, Caller caller) =>
        // the whole number's own masked form repeats it; the name-and-birth-date key is for matching only (it would
        // show the birth date the masked number hides)
        identifiers.Where(i => i.Scheme != SubjectKeys.NameBirthScheme
                               && !(i.Scheme == SubjectKeys.MaskedScheme && identifiers.Any(f => f.Scheme == "ric")))
            .Select(i => new IdentifierView(i.Scheme,
            i.Scheme == "ric" && !caller.Has(Scopes.ReadFullIds) ? ResidentIdNumber.MaskNumber(i.Value) : i.Value)).ToList();

    /// <summary>For the audit detail: whether whole ID numbers went out.</summary>
    internal static string IdsShown(IEnumerable<IdentifierRow> identifiers, Caller caller) =>
        caller.Has(Scopes.ReadFullIds) && identifiers.Any(i => i.Scheme == "ric") ? "whole ID numbers shown (ids:read-full)" : "ID numbers masked";

    /// <summary>No subject with that hub id: on record (the id masked, a caller may have typed anything), then 404.</summary>
    internal static async Task<IResult> NotFoundAsync(IAuditTrail audit, Caller caller, TimeProvider time, string how, string hubId, CancellationToken ct)
    {
        await Disclosed(audit, caller, time, null, "not-found", $"{how} {ResidentIdNumber.MaskAllIn(hubId)}", ct);
        return Problems.NotFound($"no subject with hub id {ResidentIdNumber.MaskAllIn(hubId)}");
    }

    /// <summary>A lookup refused as unreadable is on record too (who tried what); null, so callers write <c>?? answer</c>.</summary>
    internal static IResult? Refused(IAuditTrail audit, HttpContext http, TimeProvider time, string why)
    {
        var caller = http.Caller();
        audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, "subjects.lookup", Scopes.ReadSubjects, null, "refused",
            ResidentIdNumber.MaskAllIn(why), "http"));
        return null;
    }

    internal static async Task Disclosed(IAuditTrail audit, Caller caller, TimeProvider time, string? subjectId, string outcome, string detail,
        CancellationToken ct, IReadOnlyList<string>? alongside = null)
    {
        var now = time.GetUtcNow();
        var main = new AuditEntry(now, caller.Principal, caller.AgencyCode, "subjects.lookup", Scopes.ReadSubjects, subjectId, outcome, detail, "http");
        var others = (alongside ?? []).Select(person => new AuditEntry(now, caller.Principal, caller.AgencyCode, "subjects.lookup",
            Scopes.ReadSubjects, person, "disclosed-alongside", $"shown as related to {subjectId}", "http"));
        // in one append: written one by one, the others could each wait for the append before them
        await audit.WriteAsync([main, .. others], ct);
    }

    private static SubjectRef Ref(Dictionary<string, SubjectRow> subjects, string id) =>
        subjects.TryGetValue(id, out var s) ? new SubjectRef(s.Id, s.DisplayName, s.Kind) : new SubjectRef(id, "?", "?");
}
