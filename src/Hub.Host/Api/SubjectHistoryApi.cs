using System.Globalization;
using System.Text.Json;
using Hub.Domain.Access;
using Hub.Domain.Identifiers;
using Hub.Domain.Lifecycle;
using Hub.Host.Security;
using Hub.Storage;
using Hub.Storage.Audit;

namespace Hub.Host.Api;

/// <summary>A record as the Hub received it: the agency's own key (agency, source record id, revision, kind) and when the Hub recorded it.</summary>
public sealed record SourceRecordView(string Agency, string SourceRecordId, int Revision, string Kind, DateTimeOffset RecordedAt);

/// <summary>
/// One change of a listing, in record time. <c>change</c>: <c>listed</c> (a listing written, revision 1 or a
/// correction), <c>superseded</c> (a higher revision replaced it), <c>removed</c> (its issuer ended it),
/// <c>expired</c> (its term ran out; no record: the Hub's clock), <c>revoked</c> (annulled on correction or appeal),
/// <c>repaired</c> (credit repair ended it), <c>disputed</c> (its issuer received a correction request or appeal;
/// <c>reason</c> says which) or <c>dispute-resolved</c> (<c>reason</c>: the outcome). <c>source</c> is the record that
/// made the change (null for an expiry, or where the ledger no longer holds it).
/// </summary>
public sealed record HistoryEntryView(
    DateTimeOffset RecordedAt,
    string Change,
    string ListingId,
    string ListType,
    string LegalBasis,
    string OriginAgency,
    string ListingSourceRecordId,
    int ListingRevision,
    DateOnly ValidFrom,
    DateOnly? ValidUntil,
    string? Reason,
    DateOnly? EndedOn,
    string? ImputedFromListingId,
    SourceRecordView? Source);

/// <summary>Every change of a subject's listings, oldest first.</summary>
public sealed record SubjectHistoryView(string HubId, string Kind, string DisplayName, IReadOnlyList<IdentifierView> Identifiers,
    IReadOnlyList<HistoryEntryView> Changes);

/// <summary>A listing as the Hub knew it at <c>knownAt</c>: its status then, and whether it was in force on <c>validAt</c>.
/// <c>endedAt</c>, <c>statusReason</c> and <c>endedOn</c> are set only when its end was already recorded at <c>knownAt</c>.</summary>
public sealed record ListingAsOfView(
    string ListingId,
    string ListType,
    string LegalBasis,
    string OriginAgency,
    string SourceRecordId,
    int Revision,
    string Reference,
    DateOnly ValidFrom,
    DateOnly? ValidUntil,
    string Status,
    bool InForce,
    DateTimeOffset RecordedAt,
    DateTimeOffset? EndedAt,
    string? StatusReason,
    DateOnly? EndedOn,
    string? ImputedFromListingId,
    string? ImputedRole);

/// <summary>A subject's listings as the Hub knew them at <c>knownAt</c>, judged on the day <c>validAt</c> (China Standard Time).</summary>
public sealed record SubjectAsOfView(string HubId, string Kind, string DisplayName, IReadOnlyList<IdentifierView> Identifiers, DateOnly ValidAt,
    DateTimeOffset KnownAt, IReadOnlyList<ListingAsOfView> Listings, bool Restricted);

/// <summary>Bitemporal reads of a subject's listings: valid time (the term, calendar days in China Standard Time) and
/// record time (when the Hub recorded a listing and its end). See docs/architecture.md, "History and as-of".</summary>
public static class SubjectHistoryApi
{
    private static readonly string[] KnownAtFormats =
        ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];

    public static RouteGroupBuilder MapSubjectHistory(this RouteGroupBuilder api)
    {
        api.MapGet("/{hubId}/history", HistoryAsync).RequireScope(Scopes.ReadSubjects)
            .WithSummary("Every change of a subject's listings, in the order the Hub recorded them")
            .WithDescription("Each change (listed, superseded, removed, expired) with the record that made it — agency, source record id, " +
                             "revision, kind — and when the Hub recorded it. On the audit log before it is answered; ID numbers masked unless the caller holds `ids:read-full`.")
            .Produces<SubjectHistoryView>().ProducesProblem(404);
        api.MapGet("/{hubId}/as-of", AsOfAsync).RequireScope(Scopes.ReadSubjects)
            .WithSummary("A subject's listings as the Hub knew them at an instant, judged on a day")
            .WithDescription("`validAt` (yyyy-MM-dd, a China Standard Time date; default: the day of `knownAt` in China) and `knownAt` " +
                             "(an ISO 8601 instant with `Z` or an offset, e.g. 2026-03-05T00:00:00Z — encode `+` as %2B; default: now). " +
                             "Answers 'was this subject listed on validAt, as the Hub knew it at knownAt?': listings recorded by knownAt, each with its status " +
                             "as known then and whether it was in force on validAt; `restricted` when any was.")
            .Produces<SubjectAsOfView>().ProducesProblem(400).ProducesProblem(404);
        return api;
    }

    private static async Task<IResult> HistoryAsync(string hubId, HttpContext http, IndexDatabase db, IAuditTrail audit, TimeProvider time,
        CancellationToken ct)
    {
        var caller = http.Caller();
        var history = await db.SubjectHistoryAsync(hubId, ct);
        if (history is null) return await SubjectApi.NotFoundAsync(audit, caller, time, "history by hub id", hubId, ct);
        var changes = Changes(history);
        var view = new SubjectHistoryView(history.Subject.Id, history.Subject.Kind, history.Subject.DisplayName, SubjectApi.IdentifierViews(history.Identifiers, caller), changes);
        await SubjectApi.Disclosed(audit, caller, time, history.Subject.Id, "disclosed",
            $"history by hub id; {changes.Count} changes of {history.Listings.Count} listings; {SubjectApi.IdsShown(history.Identifiers, caller)}", ct);
        return Results.Ok(view);
    }

    private static async Task<IResult> AsOfAsync(string hubId, string? validAt, string? knownAt, HttpContext http, IndexDatabase db,
        IAuditTrail audit, TimeProvider time, CancellationToken ct)
    {
        var known = time.GetUtcNow();
        if (!string.IsNullOrWhiteSpace(knownAt) && !TryInstant(knownAt, out known))
            return SubjectApi.Refused(audit, http, time, "as-of: knownAt unreadable")
                   ?? Problems.BadRequest("knownAt must be an ISO 8601 instant with Z or an offset, e.g. 2026-03-05T00:00:00Z (encode + as %2B)", "knownAt");
        var day = ListingClock.DayAt(known);
        if (!string.IsNullOrWhiteSpace(validAt) && !DateOnly.TryParseExact(validAt, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            return SubjectApi.Refused(audit, http, time, "as-of: validAt unreadable")
                   ?? Problems.BadRequest("validAt must be a date, yyyy-MM-dd (a calendar day in China Standard Time)", "validAt");

        var caller = http.Caller();
        var history = await db.SubjectHistoryAsync(hubId, ct);
        if (history is null) return await SubjectApi.NotFoundAsync(audit, caller, time, "as-of by hub id", hubId, ct);
        var listings = new List<ListingAsOfView>();
        foreach (var l in history.Listings)
        {
            if (ListingClock.AsKnownAt(l.Status, l.RecordedAt, l.SupersededAt, l.ValidFrom, l.ValidUntil, l.EndedOn, known, day) is not { } state)
                continue;
            var endKnown = l.SupersededAt is { } end && end <= known && l.Status != ListingStatus.Active;
            listings.Add(new ListingAsOfView(l.Id, l.ListType, l.LegalBasis, l.OriginAgency, l.SourceRecordId, l.SourceRevision, l.Reference,
                l.ValidFrom, l.ValidUntil, state.Status, state.InForce, l.RecordedAt, endKnown ? l.SupersededAt : null,
                endKnown ? l.StatusReason : null, endKnown ? l.EndedOn : null, l.ParentListingId, l.ImputedRole));
        }
        var view = new SubjectAsOfView(history.Subject.Id, history.Subject.Kind, history.Subject.DisplayName, SubjectApi.IdentifierViews(history.Identifiers, caller), day,
            known, listings, listings.Any(l => l.InForce));
        await SubjectApi.Disclosed(audit, caller, time, history.Subject.Id, "disclosed",
            $"as of {day:yyyy-MM-dd} known at {known.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} by hub id; {listings.Count} listings; {SubjectApi.IdsShown(history.Identifiers, caller)}", ct);
        return Results.Ok(view);
    }

    /// <summary>Each listing's recording, and its end where it ended; oldest first, an end before a listing recorded at
    /// the same instant (a correction ends the revision it replaces, then lists), a listing before its imputed ones.</summary>
    internal static List<HistoryEntryView> Changes(SubjectHistory history)
    {
        var records = history.Records;
        var entries = new List<(HistoryEntryView Entry, int Order)>();
        foreach (var l in history.Listings)
        {
            var own = records.FirstOrDefault(r => r.AgencyCode == l.OriginAgency && r.SourceRecordId == l.SourceRecordId
                                                  && r.Revision == l.SourceRevision && r.ReceivedAt == l.RecordedAt);
            entries.Add((Entry(l, l.RecordedAt, "listed", null, null, own), l.ParentListingId is null ? 1 : 2));
            // a dispute opened, or decided, while this listing was the one in force
            foreach (var d in history.Disputes.Where(d => d.AgencyCode == l.OriginAgency && d.ListingSourceRecordId == l.SourceRecordId))
            {
                if (InForceAt(l, d.OpenedAt))
                    entries.Add((Entry(l, d.OpenedAt, "disputed", d.Kind, null, Own(d.AgencyCode, d.SourceRecordId, d.Revision, d.OpenedAt)), 3));
                if (d.ResolvedAt is { } decided && InForceAt(l, decided, endingNow: d.Outcome == "Revoked"))
                    entries.Add((Entry(l, decided, "dispute-resolved", d.Outcome, null, Own(d.AgencyCode, d.ResolutionSourceRecordId, null, decided)), -1));
            }
            if (l.Status == ListingStatus.Active || l.SupersededAt is not { } at) continue;
            var source = l.Status switch
            {
                ListingStatus.Superseded => records.Where(r => r.AgencyCode == l.OriginAgency && r.SourceRecordId == l.SourceRecordId
                                                               && r.Revision > l.SourceRevision && r.ReceivedAt == at)
                    .OrderBy(r => r.Revision).FirstOrDefault(),
                ListingStatus.Removed or ListingStatus.Revoked or ListingStatus.Repaired =>
                    records.FirstOrDefault(r => r.AgencyCode == l.OriginAgency && r.ReceivedAt == at && EndsListing(r.Payload, l.SourceRecordId)),
                _ => null,
            };
            entries.Add((Entry(l, at, l.Status, l.StatusReason, l.EndedOn, source), 0));
        }
        return entries.OrderBy(e => e.Entry.RecordedAt).ThenBy(e => e.Order).ThenBy(e => e.Entry.ListingId, StringComparer.Ordinal)
            .Select(e => e.Entry).ToList();

        // the ledger row of a dispute or its decision, recorded at that instant
        LedgerRow? Own(string agency, string? sourceRecordId, int? revision, DateTimeOffset at) => records.FirstOrDefault(r =>
            r.AgencyCode == agency && r.SourceRecordId == sourceRecordId && (revision is null || r.Revision == revision) && r.ReceivedAt == at);

        // recorded by then and not ended before (a revocation ends the listing at the instant of its decision)
        static bool InForceAt(ListingRow l, DateTimeOffset at, bool endingNow = false) =>
            l.RecordedAt <= at && (l.SupersededAt is not { } end || end > at || (endingNow && end == at));
    }

    private static HistoryEntryView Entry(ListingRow l, DateTimeOffset at, string change, string? reason, DateOnly? endedOn, LedgerRow? source) =>
        new(at, change, l.Id, l.ListType, l.LegalBasis, l.OriginAgency, l.SourceRecordId, l.SourceRevision, l.ValidFrom, l.ValidUntil, reason,
            endedOn, l.ParentListingId,
            source is null ? null : new SourceRecordView(source.AgencyCode, source.SourceRecordId, source.Revision, source.Kind, source.ReceivedAt));

    /// <summary>Whether a ledger row is a removal naming this listing's source record id (<c>listingSourceRecordId</c>).</summary>
    private static bool EndsListing(string payload, string listingSourceRecordId)
    {
        if (string.IsNullOrEmpty(payload)) return false;
        try
        {
            using var doc = JsonDocument.Parse(payload);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                   && doc.RootElement.EnumerateObject().Any(p => p.NameEquals("listingSourceRecordId") && p.Value.ValueKind == JsonValueKind.String
                                                                && p.Value.GetString()?.Trim() == listingSourceRecordId);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryInstant(string text, out DateTimeOffset instant)
    {
        instant = default;
        var t = text.Trim();
        // an instant must say its offset: a bare local time would mean whatever zone the server runs in
        var hasOffset = t.EndsWith('Z') || t.EndsWith('z') || (t.Length > 6 && (t[^6] is '+' or '-') && t[^3] == ':');
        return hasOffset && DateTimeOffset.TryParseExact(t, KnownAtFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out instant);
    }
}
