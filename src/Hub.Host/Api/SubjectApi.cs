using Hub.Domain.Catalogue;
using Hub.Domain.Identifiers;
using Hub.Storage;

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

public sealed record RelationView(string Role, SubjectRef Organization, SubjectRef Person, DateOnly ValidFrom, DateOnly? ValidTo, string SourceAgency);

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
    IReadOnlyList<string> Measures);

public static class SubjectApi
{
    public static WebApplication MapSubjectApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/subjects");
        api.MapGet("/", FindAsync);
        api.MapGet("/{hubId}", GetAsync);
        return app;
    }

    private static async Task<IResult> FindAsync(string? uscc, string? ric, string? orgCode, IndexDatabase db, LegalBasisCatalogue catalogue,
        TimeProvider time, CancellationToken ct)
    {
        var given = new[] { uscc, ric, orgCode }.Count(v => !string.IsNullOrWhiteSpace(v));
        if (given != 1) return Problem(400, "give exactly one of uscc, ric or orgCode");
        var (check, scheme, shown) =
            uscc is not null ? (Uscc.Check(uscc), "uscc", uscc)
            : orgCode is not null ? (OrganizationCode.Check(orgCode), "org-code", orgCode)
            : (ResidentIdNumber.Check(ric!), "ric", "resident ID number");
        if (!check.IsValid) return Problem(400, $"{scheme}: {check.Reason}");
        if (check.Scheme == IdentifierScheme.ResidentIdMasked) return Problem(400, "a masked ID number cannot identify a subject; give the full number");
        var id = await db.FindSubjectIdAsync(scheme, check.Normalized!, ct);
        return id is null
            ? Problem(404, $"no subject with {scheme} {(scheme == "ric" ? ResidentIdNumber.MaskNumber(check.Normalized!) : shown)}")
            : await ViewAsync(id, db, catalogue, time, ct);
    }

    private static Task<IResult> GetAsync(string hubId, IndexDatabase db, LegalBasisCatalogue catalogue, TimeProvider time, CancellationToken ct) =>
        ViewAsync(hubId, db, catalogue, time, ct);

    private static async Task<IResult> ViewAsync(string id, IndexDatabase db, LegalBasisCatalogue catalogue, TimeProvider time, CancellationToken ct)
    {
        var detail = await db.SubjectDetailAsync(id, ct);
        if (detail is null) return Problem(404, $"no subject with hub id {id}");
        var (subject, identifiers, listings, relations, related) = detail;
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var others = related.Append(subject).ToDictionary(s => s.Id);

        var listingViews = listings.Select(l =>
        {
            var basis = catalogue.Find(l.LegalBasis);
            var activeNow = l.Status == ListingStatus.Active && l.ValidFrom <= today && (l.ValidUntil is null || l.ValidUntil >= today);
            // the stored status says whether the issuer ended it; a term that ran out shows as expired
            var status = l.Status == ListingStatus.Active && l.ValidUntil < today ? "expired" : l.Status;
            return new ListingView(l.Id, l.ListType, l.LegalBasis, basis?.Title, basis?.Citation, l.CatalogueVersion, l.OriginAgency,
                l.OriginProvince, Regions.ProvinceOf(l.OriginProvince)?.Name, l.Reference, l.ValidFrom, l.ValidUntil, status, activeNow,
                l.StatusReason, l.EndedOn, l.RecordedAt, l.ParentListingId, l.ImputedRole, basis?.Measures ?? []);
        }).ToList();

        return Results.Ok(new SubjectView(
            subject.Id, subject.Kind, subject.DisplayName, subject.HomeRegion,
            identifiers.Select(i => new IdentifierView(i.Scheme, i.Scheme == "ric" ? ResidentIdNumber.MaskNumber(i.Value) : i.Value)).ToList(),
            relations.Select(r => new RelationView(r.Role, Ref(others, r.OrganizationId), Ref(others, r.PersonId), r.ValidFrom, r.ValidTo, r.AgencyCode)).ToList(),
            listingViews,
            listingViews.Any(l => l.ActiveNow),
            catalogue.Version,
            today));
    }

    private static SubjectRef Ref(Dictionary<string, SubjectRow> subjects, string id) =>
        subjects.TryGetValue(id, out var s) ? new SubjectRef(s.Id, s.DisplayName, s.Kind) : new SubjectRef(id, "?", "?");

    internal static IResult Problem(int status, string detail) => Results.Json(new { error = detail }, statusCode: status);
}
