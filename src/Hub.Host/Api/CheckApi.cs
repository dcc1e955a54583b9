using System.Globalization;
using System.Text.Json;
using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Domain.Identifiers;
using Hub.Domain.Lifecycle;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Storage.Audit;
using Microsoft.Extensions.Options;

namespace Hub.Host.Api;

/// <summary>A subject as a check names it: exactly one of a USCC, a full resident ID number (18 characters, or 15 of
/// the first generation) or the Hub's id.</summary>
public sealed record CheckSubject(string? Uscc = null, string? Ric = null, string? HubId = null);

/// <summary>Is this subject restricted under this measure? <c>asOf</c> (yyyy-MM-dd, a China Standard Time date) judges
/// the terms on another day than today.</summary>
public sealed record CheckRequest(CheckSubject? Subject, string? Measure, string? AsOf = null);

/// <summary>The same for up to 1,000 subjects (all bidders in a tender), under one measure.</summary>
public sealed record BatchCheckRequest(IReadOnlyList<CheckSubject?>? Subjects, string? Measure, string? AsOf = null);

/// <summary>A subject of a batch that cannot be read: the field (<c>subjects[i].uscc</c>, i from 0) and why.</summary>
public sealed record InvalidSubject(string Field, string Reason);

/// <summary>The subject as asked (<c>scheme</c> <c>uscc</c>, <c>ric</c> or <c>hub-id</c>; an ID number masked unless the
/// caller holds <c>ids:read-full</c>) and, when the Hub knows it, who it is.</summary>
public sealed record CheckedSubjectView(string Scheme, string Identifier, string? HubId, string? Kind, string? DisplayName);

/// <summary>The listing a derived listing was imputed from: the listed organisation's listing, the organisation, and
/// the role the subject holds in it.</summary>
public sealed record DerivedFromView(string ListingId, string HubId, string DisplayName, string Role);

/// <summary>
/// One reason a subject is restricted: the listing (its list type, legal basis with title and citation, the legal-basis
/// catalogue version it was decided under, issuer, reference and term), the joint-sanctions rule that links its list
/// type to the measure and the memorandum that rule cites, and whether the listing is derived — imputed to the subject as
/// the legal representative of a listed organisation (<c>derivedFrom</c> names it).
/// </summary>
public sealed record CheckReasonView(
    string ListingId,
    string ListType,
    string LegalBasis,
    string? LegalBasisTitle,
    string? Citation,
    string BasisCatalogueVersion,
    string OriginAgency,
    string Reference,
    DateOnly ValidFrom,
    DateOnly? ValidUntil,
    string Rule,
    string Memorandum,
    bool Derived,
    DerivedFromView? DerivedFrom);

/// <summary>
/// The answer to a check: <c>restricted</c> with every reason, or <c>allowed</c> (no reason; for a subject the Hub does
/// not know, <c>knownToHub</c> false and the note "not known to the Hub"). <c>catalogueVersion</c> is the joint-sanctions
/// catalogue's, <c>asOf</c> the China Standard Time date the terms were judged on.
/// </summary>
public sealed record CheckView(
    string Outcome,
    CheckedSubjectView Subject,
    bool KnownToHub,
    string? Note,
    IReadOnlyList<CheckReasonView> Reasons,
    string Measure,
    string CatalogueVersion,
    DateOnly AsOf);

/// <summary>One subject of a batch, at its <c>position</c> in the request (from 1).</summary>
public sealed record BatchCheckItemView(int Position, string Outcome, CheckedSubjectView Subject, bool KnownToHub, string? Note,
    IReadOnlyList<CheckReasonView> Reasons);

/// <summary>A batch's answer: one result per subject, in the order asked, and how many were restricted or not known.</summary>
public sealed record BatchCheckView(string Measure, string CatalogueVersion, DateOnly AsOf, int Checked, int Restricted, int NotKnown,
    IReadOnlyList<BatchCheckItemView> Results);

/// <summary>
/// Checks before granting (joint sanctions): an agency asks whether a subject is restricted under a measure its kind
/// enforces. The joint-sanctions catalogue links list types to measures; <see cref="ListingClock"/> says what each listing
/// is on the day. Every check is on the audit log before it is answered. See docs/architecture.md, "Checks before granting".
/// </summary>
public static class CheckApi
{
    /// <summary>Most subjects one batch may carry.</summary>
    public const int MaxBatch = 1_000;

    public const string Allowed = "allowed";
    public const string Restricted = "restricted";
    public const string NotKnownNote = "not known to the Hub";
    public const string Action = "subjects.check";
    public const string BatchAction = "subjects.check-batch";

    public static WebApplication MapCheckApi(this WebApplication app)
    {
        // a joint-sanctions catalogue that does not load stops the Hub at start, not at the first check
        _ = app.Services.GetRequiredService<JointSanctionsCatalogue>();
        var api = app.MapGroup("/api/checks").WithTags("Checks");
        api.MapPost("/", CheckAsync).RequireScope(Scopes.CheckSubjects)
            .WithSummary("Check a subject before granting: allowed, or restricted under a joint-sanctions measure, with every reason")
            .WithDescription("Body: `subject` with exactly one of `uscc`, `ric` (a full resident ID number: a masked one identifies nobody) or " +
                             "`hubId`; `measure` (e.g. `procurement-exclusion`, `food-production-licence`, `serving-as-legal-representative`, " +
                             "`consumption-restriction`: the joint-sanctions catalogue lists them); optional `asOf` (yyyy-MM-dd, a China Standard " +
                             "Time date; default today) to judge the terms on another day, against the listings as the index holds them now. " +
                             "`restricted` lists every listing in force that the catalogue links to the measure — derived listings (imputed to the " +
                             "legal representative of a listed organisation) where the rule reaches them, marked `derived` — with its legal basis, " +
                             "the rule and memorandum, and the catalogue version. A subject the Hub does not know is `allowed`, with the note " +
                             "\"not known to the Hub\". Only an agency whose kind enforces the measure may check for it (otherwise 403 naming the " +
                             "measure). On the audit log before it is answered; ID numbers masked unless the caller holds `ids:read-full`.")
            .Accepts<CheckRequest>("application/json")
            .Produces<CheckView>().ProducesProblem(400).ProducesProblem(415);
        api.MapPost("/batch", BatchAsync).RequireScope(Scopes.CheckSubjects)
            .WithSummary("Check up to 1,000 subjects under one measure (all bidders in a tender): one answer per subject, in order")
            .WithDescription("Body: `subjects` (1 to 1,000, each as in POST /api/checks), `measure`, optional `asOf`. `results` has one answer " +
                             "per subject at its `position` (from 1). A subject that cannot be read refuses the whole batch with 400, " +
                             "`field` naming the first (`subjects[i].uscc`, i from 0 as in the body) and `invalid` listing every one. Each subject's " +
                             "check is an audit entry of its own (so the subject's audit trail shows it), plus one for the batch.")
            .Accepts<BatchCheckRequest>("application/json")
            .Produces<BatchCheckView>().ProducesProblem(400).ProducesProblem(415);
        return app;
    }

    private static async Task<IResult> CheckAsync(HttpContext http, SubjectChecks checks, LegalBasisCatalogue bases, IAuditTrail audit,
        TimeProvider time, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct)
    {
        var (request, unreadable) = await ReadAsync<CheckRequest>(http, json.Value.SerializerOptions, ct);
        if (unreadable is not null) return Refuse(audit, http, time, unreadable);
        var common = ReadCommon(http, checks.Catalogue, time, request!.Measure, request.AsOf);
        if (common.Refusal is not null) return Refuse(audit, http, time, common.Refusal);
        var (key, bad) = KeyOf(request.Subject, "subject");
        if (bad is not null) return Refuse(audit, http, time, bad);

        var caller = http.Caller();
        var result = (await checks.CheckAsync([key!], common.Measure!, common.Day, ct))[0];
        var (outcome, subject, known, note, reasons) = View(result, caller, bases);
        // on record before it is answered
        await audit.WriteAsync(Entry(caller, time, result, common.Measure!, common.Day, ""), ct);
        return Results.Ok(new CheckView(outcome, subject, known, note, reasons, common.Measure!, checks.Catalogue.Version, common.Day));
    }

    private static async Task<IResult> BatchAsync(HttpContext http, SubjectChecks checks, LegalBasisCatalogue bases, IAuditTrail audit,
        TimeProvider time, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct)
    {
        var (request, unreadable) = await ReadAsync<BatchCheckRequest>(http, json.Value.SerializerOptions, ct);
        if (unreadable is not null) return Refuse(audit, http, time, unreadable);
        var common = ReadCommon(http, checks.Catalogue, time, request!.Measure, request.AsOf);
        if (common.Refusal is not null) return Refuse(audit, http, time, common.Refusal);
        var subjects = request.Subjects;
        if (subjects is null || subjects.Count == 0)
            return Refuse(audit, http, time, Refusal.BadRequest($"subjects: give 1 to {MaxBatch:N0} subjects", "subjects"));
        if (subjects.Count > MaxBatch)
            return Refuse(audit, http, time, Refusal.BadRequest(
                $"subjects: at most {MaxBatch:N0} subjects in one request, this has {subjects.Count:N0}; send the rest in another", "subjects"));

        var keys = new SubjectKey[subjects.Count];
        var invalid = new List<(string Field, string Reason)>();
        for (var i = 0; i < subjects.Count; i++)
        {
            var (key, bad) = KeyOf(subjects[i], $"subjects[{i}]");
            if (bad is not null) invalid.Add((bad.Field!, bad.Detail));
            else keys[i] = key!;
        }
        if (invalid.Count > 0)
        {
            const int shown = 5;
            var detail = $"{invalid.Count:N0} of {subjects.Count:N0} subjects cannot be read: " + string.Join("; ", invalid.Take(shown).Select(x => x.Reason))
                         + (invalid.Count > shown ? $"; and {invalid.Count - shown:N0} more (see invalid)" : "");
            return Refuse(audit, http, time, Refusal.BadRequest(detail, invalid[0].Field,
                invalid.Select(x => new InvalidSubject(x.Field, x.Reason)).ToList()));
        }

        var caller = http.Caller();
        var results = await checks.CheckAsync(keys, common.Measure!, common.Day, ct);
        var items = new List<BatchCheckItemView>(results.Count);
        var batch = Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
        var entries = new List<AuditEntry>(results.Count + 1);
        for (var i = 0; i < results.Count; i++)
        {
            var (outcome, subject, known, note, reasons) = View(results[i], caller, bases);
            items.Add(new BatchCheckItemView(i + 1, outcome, subject, known, note, reasons));
            entries.Add(Entry(caller, time, results[i], common.Measure!, common.Day, $"batch {batch}, {i + 1} of {results.Count}: "));
        }
        var restricted = results.Count(r => r.Restricted);
        var notKnown = results.Count(r => r.Subject is null);
        entries.Add(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, BatchAction, Scopes.CheckSubjects, null,
            "checked", $"batch {batch}: {results.Count} subjects for {common.Measure} on {common.Day:yyyy-MM-dd}: {restricted} restricted, " +
                       $"{notKnown} not known to the Hub; each subject has an entry of its own", "http"));
        // on record before it is answered, in one append: every subject's entry and the batch's
        await audit.WriteAsync(entries, ct);
        return Results.Ok(new BatchCheckView(common.Measure!, checks.Catalogue.Version, common.Day, results.Count, restricted, notKnown, items));
    }

    /// <summary>A refusal: a problem to answer, with what goes on the audit log.</summary>
    private sealed record Refusal(IResult Answer, string Detail, string? Field, string Outcome)
    {
        public static Refusal BadRequest(string detail, string? field, object? invalid = null)
        {
            var extensions = new Dictionary<string, object?>();
            if (field is not null) extensions["field"] = field;
            if (invalid is not null) extensions["invalid"] = invalid;
            return new(Problems.Make(400, "invalid-request", "The request cannot be read", detail, extensions), detail, field, "refused");
        }
    }

    private sealed record CommonPart(string? Measure, DateOnly Day, Refusal? Refusal);

    /// <summary>What both forms share: the measure (known, and enforced by the caller's kind) and the day.</summary>
    private static CommonPart ReadCommon(HttpContext http, JointSanctionsCatalogue catalogue, TimeProvider time, string? measureCode, string? asOf)
    {
        if (string.IsNullOrWhiteSpace(measureCode))
            return new(null, default, Refusal.BadRequest($"measure is missing: one of {string.Join(", ", catalogue.Measures.Select(m => m.Code))}", "measure"));
        var measure = catalogue.FindMeasure(measureCode);
        if (measure is null)
            return new(null, default, Refusal.BadRequest(
                $"measure '{Clip(measureCode)}' is not in joint-sanctions catalogue {catalogue.Version}; it knows {string.Join(", ", catalogue.Measures.Select(m => m.Code))}",
                "measure"));
        var caller = http.Caller();
        if (caller.Agency is not { } agency || !catalogue.Enforces(agency.Kind, measure.Code))
        {
            var who = caller.Agency is { } a
                ? $"{a.Code} is a {a.Kind} agency, and {a.Kind} agencies do not enforce {measure.Code} (joint-sanctions catalogue {catalogue.Version}: " +
                  (catalogue.MeasuresEnforcedBy(a.Kind).ToList() is { Count: > 0 } own ? $"they enforce {string.Join(", ", own)}" : "they enforce no measure") + ")"
                : $"{caller.Principal} acts for no agency";
            var enforcers = measure.EnforcedBy.Count > 0 ? $"only {string.Join(", ", measure.EnforcedBy)} agencies may check for it" : "no agency at the Hub enforces it";
            var detail = $"you may not check for the measure {measure.Code}: {who}; {enforcers}";
            return new(null, default, new Refusal(
                Problems.Make(403, "forbidden", "Not allowed", detail, new Dictionary<string, object?> { ["measure"] = measure.Code, ["scope"] = Scopes.CheckSubjects }),
                detail, "measure", "refused-forbidden"));
        }
        var day = new ListingClock(time).Today;
        if (!string.IsNullOrWhiteSpace(asOf)
            && !DateOnly.TryParseExact(asOf.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            return new(null, default, Refusal.BadRequest("asOf must be a date, yyyy-MM-dd (a calendar day in China Standard Time)", "asOf"));
        return new(measure.Code, day, null);
    }

    /// <summary>The key a subject names, normalised by the identifier rules; or why it cannot be read, the field named.</summary>
    private static (SubjectKey? Key, Refusal? Refusal) KeyOf(CheckSubject? subject, string at)
    {
        if (subject is null) return (null, Refusal.BadRequest($"{at} is missing: give exactly one of uscc, ric or hubId", at));
        var given = new[] { subject.Uscc, subject.Ric, subject.HubId }.Count(v => !string.IsNullOrWhiteSpace(v));
        if (given != 1)
            return (null, Refusal.BadRequest($"{at}: give exactly one of uscc, ric or hubId{(given > 1 ? $", not {given}" : "")}", at));
        if (!string.IsNullOrWhiteSpace(subject.Uscc))
        {
            var check = Uscc.Check(subject.Uscc);
            return check.IsValid ? (new SubjectKey(SubjectKey.Uscc, check.Normalized!), null) : (null, Refusal.BadRequest($"{at}.uscc: {check.Reason}", $"{at}.uscc"));
        }
        if (!string.IsNullOrWhiteSpace(subject.Ric))
        {
            var check = ResidentIdNumber.Check(subject.Ric);
            if (!check.IsValid) return (null, Refusal.BadRequest($"{at}.ric: {check.Reason}", $"{at}.ric"));
            return check.Scheme == IdentifierScheme.ResidentIdMasked
                ? (null, Refusal.BadRequest($"{at}.ric: a masked ID number cannot identify a subject; give the full number", $"{at}.ric"))
                : (new SubjectKey(SubjectKey.Ric, check.Normalized!), null);
        }
        return Guid.TryParseExact(subject.HubId!.Trim(), "N", out var id)
            ? (new SubjectKey(SubjectKey.HubId, id.ToString("N")), null)
            : (null, Refusal.BadRequest($"{at}.hubId: a hub id is 32 hexadecimal characters, as the Hub gives it", $"{at}.hubId"));
    }

    private static (string Outcome, CheckedSubjectView Subject, bool Known, string? Note, IReadOnlyList<CheckReasonView> Reasons) View(
        SubjectCheckResult result, Caller caller, LegalBasisCatalogue bases)
    {
        var key = result.Key;
        var shown = Shown(key, caller);
        var s = result.Subject;
        var subject = new CheckedSubjectView(key.Scheme, shown, s?.Id, s?.Kind, s?.DisplayName);
        var reasons = result.Reasons.Select(r =>
        {
            var l = r.Listing;
            var basis = bases.Find(l.LegalBasis);
            var from = r.Derived && l.ParentSubjectId is not null
                ? new DerivedFromView(l.ParentListingId!, l.ParentSubjectId, l.ParentSubjectName ?? "", l.ImputedRole ?? "")
                : null;
            return new CheckReasonView(l.ListingId!, l.ListType, l.LegalBasis, basis?.Title, basis?.Citation, l.CatalogueVersion, l.OriginAgency,
                l.Reference, l.ValidFrom!.Value, l.ValidUntil, r.Rule.Id, r.Rule.Memorandum, r.Derived, from);
        }).ToList();
        return (result.Restricted ? Restricted : Allowed, subject, s is not null, s is null ? NotKnownNote : null, reasons);
    }

    /// <summary>The identifier as this caller may see it: a resident ID number masked without <c>ids:read-full</c>.</summary>
    private static string Shown(SubjectKey key, Caller caller) =>
        key.Scheme == SubjectKey.Ric && !caller.Has(Scopes.ReadFullIds) ? ResidentIdNumber.MaskNumber(key.Value) : key.Value;

    private static AuditEntry Entry(Caller caller, TimeProvider time, SubjectCheckResult result, string measure, DateOnly day, string prefix)
    {
        var key = result.Key;
        var how = $"{prefix}{measure} on {day:yyyy-MM-dd} by {key.Scheme} {(key.Scheme == SubjectKey.Ric ? ResidentIdNumber.MaskNumber(key.Value) : key.Value)}";
        var (outcome, detail) = result.Subject is null
            ? ("not-found", $"{how}: allowed, {NotKnownNote}")
            : result.Restricted
                ? (Restricted, $"{how}: restricted by {result.Reasons.Count} listing(s) ({string.Join(", ", result.Reasons.Select(r => r.Rule.Id + (r.Derived ? " derived" : "")).Distinct())})")
                : (Allowed, $"{how}: allowed");
        return new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, Action, Scopes.CheckSubjects, result.Subject?.Id, outcome, detail, "http");
    }

    /// <summary>A refused check is on record too (who tried what), without waiting; then its answer.</summary>
    private static IResult Refuse(IAuditTrail audit, HttpContext http, TimeProvider time, Refusal refusal)
    {
        var caller = http.Caller();
        audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller.Principal, caller.AgencyCode, Action, Scopes.CheckSubjects, null, refusal.Outcome,
            refusal.Detail, "http"));
        return refusal.Answer;
    }

    /// <summary>Reads the JSON body, or says why it cannot be read (never with a .NET type name).</summary>
    private static async Task<(T? Value, Refusal? Refusal)> ReadAsync<T>(HttpContext http, JsonSerializerOptions options, CancellationToken ct) where T : class
    {
        if (!http.Request.HasJsonContentType())
        {
            var detail = $"this endpoint reads application/json, not {http.Request.ContentType ?? "a body without Content-Type"}";
            return (null, new Refusal(Problems.UnsupportedMediaType(detail), detail, null, "refused"));
        }
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, options, ct);
            return value is null ? (null, Refusal.BadRequest("the body is empty: send the JSON object this endpoint documents (see /openapi/v1.json)", null)) : (value, null);
        }
        catch (JsonException ex)
        {
            var at = $"line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}";
            var field = ex.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
            var wrongType = ex.Message.Contains("could not be converted", StringComparison.Ordinal);
            var detail = wrongType
                ? $"{field ?? "the body"} is not of the type this endpoint reads (at {at}): see /openapi/v1.json"
                : $"malformed JSON at {at}: {Sentence(ex.Message)}";
            return (null, Refusal.BadRequest(detail, wrongType ? field : null));
        }
    }

    /// <summary>The parser's first sentence, without the position it appends (said once, from 1) or anything like a type name.</summary>
    private static string Sentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal) is var i and >= 0 ? message[..i] : message;
        cut = cut.IndexOf(" LineNumber:", StringComparison.Ordinal) is var j and >= 0 ? cut[..j] : cut;
        return cut.Contains("System.", StringComparison.Ordinal) || cut.Contains("Hub.", StringComparison.Ordinal) ? "not readable JSON" : cut.Trim();
    }

    /// <summary>What a caller typed, short enough to quote back.</summary>
    private static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
