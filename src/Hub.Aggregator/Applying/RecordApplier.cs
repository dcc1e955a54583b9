using System.Text.Json;
using Hub.Contracts;
using Hub.Domain.Intake;
using Hub.Aggregator.Outbox;
using Hub.Storage;
using Microsoft.Extensions.Logging;

namespace Hub.Aggregator.Applying;

/// <summary>
/// Applies a batch of inbound records to the index in one transaction: drops messages and records already seen,
/// checks each against <see cref="RecordRules"/>, quarantines what fails, resolves subjects, writes listings
/// (imputing them to legal representatives where the catalogue says so), the ledger, and the outbound events
/// into the outbox — all with multi-row statements. No bus here: consumers call it, tests call it directly.
/// </summary>
public sealed partial class RecordApplier(
    IndexDatabase db, RecordRules rules, TimeProvider time, OutboxSignal outboxSignal, AggregatorMetrics metrics, ILogger<RecordApplier> log)
{
    public const string LegalRepresentativeRole = "legal-representative";

    public async Task<BatchOutcome> ApplyAsync(IReadOnlyList<Incoming> batch, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var w = new IndexWrite(now);
        await using var session = await db.BeginAsync(ct);

        var messageIds = batch.Select(b => b.MessageId).OfType<string>().ToHashSet();
        var seenMessages = await session.SeenMessagesAsync(messageIds, ct);
        var fresh = batch.Where(b => b.MessageId is null || !seenMessages.Contains(b.MessageId))
            .DistinctBy(b => b.MessageId ?? Guid.NewGuid().ToString()).ToList();
        var duplicates = batch.Count - fresh.Count;
        w.InboxMessageIds.AddRange(fresh.Select(b => b.MessageId).OfType<string>());

        // text the database cannot store fails every statement carrying it, the whole batch on every retry: such a
        // record is quarantined before any read or write uses its values
        var rejected = 0;
        fresh = fresh.Where(item =>
        {
            if (TextGuard.Find(item.Message) is not { } bad) return true;
            Reject(item, bad);
            return false;
        }).ToList();

        // the ledger says which (agency, source id, revision, kind) were applied before, and the newest revision of each
        var sourceIds = fresh.Select(b => b.Source?.SourceRecordId).OfType<string>().ToHashSet();
        var ledger = await session.RecordsBySourceAsync(sourceIds, ct);
        var applied = ledger.Select(r => (r.AgencyCode, r.SourceRecordId, r.Revision, r.Kind)).ToHashSet();
        var newest = ledger.GroupBy(r => (r.AgencyCode, r.SourceRecordId, r.Kind)).ToDictionary(g => g.Key, g => g.Max(r => r.Revision));

        var listings = new List<(Incoming In, ListingIntent Intent)>();
        var removals = new List<(Incoming In, RemovalIntent Intent)>();
        var registrations = new List<(Incoming In, RegistrationIntent Intent)>();
        foreach (var item in fresh)
        {
            var s = item.Source;
            if (s is not null && !string.IsNullOrWhiteSpace(s.AgencyCode) && !string.IsNullOrWhiteSpace(s.SourceRecordId))
            {
                if (!applied.Add((s.AgencyCode, s.SourceRecordId, s.Revision, item.Kind))) { duplicates++; continue; }
                if (newest.TryGetValue((s.AgencyCode, s.SourceRecordId, item.Kind), out var rev) && rev > s.Revision)
                {
                    Reject(item, new Rejection(Rejection.StaleRevision, $"revision {s.Revision} arrived after revision {rev} of the same record"));
                    continue;
                }
            }
            switch (item.Message)
            {
                case JudgmentDefaulterListed m: Route(item, rules.Check(m), listings); break;
                case AdministrativePenaltyRecorded m: Route(item, rules.Check(m), listings); break;
                case JudgmentDefaulterRemoved m: Route(item, rules.Check(m), removals); break;
                case OrganizationRegistered m: Route(item, rules.Check(m), registrations); break;
                default: Reject(item, new Rejection(Rejection.WrongRecordKind, $"the Hub does not apply {item.Kind} records")); break;
            }
        }

        // subjects: one query for every strong key in the batch, then representatives of the organisations found
        var values = listings.SelectMany(l => SubjectResolver.StrongValues(l.Intent.Subject).Concat(SubjectResolver.StrongValues(l.Intent.LegalRepresentative)))
            .Concat(registrations.SelectMany(r => SubjectResolver.StrongValues(r.Intent.Organization).Concat(SubjectResolver.StrongValues(r.Intent.LegalRepresentative))))
            .ToHashSet();
        var resolver = new SubjectResolver(await session.StrongIdentifiersAsync(values, ct), w, () => NewId(now));
        var subjectIds = listings.Select(l => resolver.Resolve(l.Intent.Subject)).ToList();
        var organizationIds = registrations.Select(r => resolver.Resolve(r.Intent.Organization)).ToList();
        var representatives = new RepresentativeBook(
            await session.RepresentativesAsync(subjectIds.Concat(organizationIds).Where(id => !resolver.IsNew(id)).ToHashSet(), ct));

        // a new revision of a listing, or a removal, ends the active listings that share its source
        var active = (await session.ActiveListingsBySourceAsync(
                listings.Select(l => l.Intent.Source.SourceRecordId).Concat(removals.Select(r => r.Intent.ListingSourceRecordId)).ToHashSet(), ct))
            .ToList();

        for (var i = 0; i < listings.Count; i++)
        {
            var (item, intent) = listings[i];
            foreach (var old in TakeActive(active, intent.Agency.Code, intent.Source.SourceRecordId))
                End(old, ListingStatus.Superseded, $"revision {intent.Source.Revision}", intent.ValidFrom);
            var listing = AddListing(intent, subjectIds[i], intent.Subject, parent: null);
            if (intent.LegalRepresentative is { } rep && intent.Subject.Kind == SubjectKind.Organization)
            {
                var personId = resolver.Resolve(rep, representatives.Find(subjectIds[i], rep.NormalizedName));
                representatives.Link(w, subjectIds[i], personId, rep.NormalizedName, intent.Agency.Code, intent.Source.SourceRecordId, intent.ValidFrom);
                if (intent.Basis.ImputeLegalRepresentative)
                    AddListing(intent, personId, rep, listing);
            }
            AddLedger(item);
        }

        foreach (var (item, intent) in removals)
        {
            var ended = TakeActive(active, intent.Agency.Code, intent.ListingSourceRecordId)
                .Concat(w.Listings.Where(l => l.Status == ListingStatus.Active && l.OriginAgency == intent.Agency.Code && l.SourceRecordId == intent.ListingSourceRecordId))
                .ToList();
            if (ended.Count == 0)
            {
                Reject(item, new Rejection(Rejection.NoSuchListing,
                    $"agency {intent.Agency.Code} has no active listing with source record id '{intent.ListingSourceRecordId}'"));
                continue;
            }
            foreach (var l in ended) End(l, ListingStatus.Removed, intent.Reason, intent.EffectiveDate);
            AddLedger(item);
        }

        for (var i = 0; i < registrations.Count; i++)
        {
            var (item, intent) = registrations[i];
            var orgId = organizationIds[i];
            var personId = resolver.Resolve(intent.LegalRepresentative, representatives.Find(orgId, intent.LegalRepresentative.NormalizedName));
            representatives.Link(w, orgId, personId, intent.LegalRepresentative.NormalizedName, intent.Agency.Code, intent.Source.SourceRecordId, intent.RegisteredOn);
            AddLedger(item);
        }

        await session.WriteAsync(w, ct);
        await session.CommitAsync(ct);
        if (w.Outbox.Count > 0) outboxSignal.Notify();

        var outcome = new BatchOutcome(w.Records.Count, duplicates, rejected);
        var elapsedMs = time.GetElapsedTime(started).TotalMilliseconds;
        metrics.BatchApplied(batch.Count, outcome, elapsedMs);
        LogBatch(batch.Count, elapsedMs, outcome.Applied, outcome.Duplicates, outcome.Rejected);
        return outcome;

        void Route<T>(Incoming item, Decision<T> decision, List<(Incoming, T)> into) where T : class
        {
            if (decision.Rejection is { } r) Reject(item, r);
            else into.Add((item, decision.Value!));
        }

        void Reject(Incoming item, Rejection r)
        {
            rejected++;
            var s = item.Source;
            var (agency, sourceId) = (TextGuard.Storable(s?.AgencyCode), TextGuard.Storable(s?.SourceRecordId));
            var q = new QuarantineRow
            {
                Id = NewId(now), AgencyCode = agency, SourceRecordId = sourceId, Revision = s?.Revision,
                Kind = item.Kind, ReasonCode = r.Code, Reason = r.Reason, Payload = item.Payload(), MessageId = item.MessageId, ReceivedAt = now,
            };
            w.Quarantine.Add(q);
            Emit(new RecordRejected
            {
                EventId = NewId(now), AgencyCode = agency ?? "", SourceRecordId = sourceId ?? "", Revision = s?.Revision ?? 0,
                RecordKind = item.Kind, ReasonCode = r.Code, Reason = r.Reason, QuarantineId = q.Id, RejectedAt = now,
            }, $"{agency}/{sourceId}");
            LogRejected(item.Kind, agency, sourceId, item.MessageId, r.Code, r.Reason);
        }

        ListingRow AddListing(ListingIntent intent, string subjectId, SubjectKeys subject, ListingRow? parent)
        {
            var row = new ListingRow
            {
                Id = NewId(now), SubjectId = subjectId, ListType = intent.Basis.ListType!, LegalBasis = intent.Basis.Code,
                CatalogueVersion = rules.Catalogue.Version, OriginAgency = intent.Agency.Code, OriginProvince = intent.Agency.ProvinceCode,
                SourceRecordId = intent.Source.SourceRecordId, SourceRevision = intent.Source.Revision, Reference = intent.Reference,
                ValidFrom = intent.ValidFrom, ValidUntil = intent.ValidUntil, Status = ListingStatus.Active, RecordedAt = now,
                ParentListingId = parent?.Id, ImputedRole = parent is null ? null : LegalRepresentativeRole,
            };
            w.Listings.Add(row);
            Emit(new SubjectListed
            {
                EventId = NewId(now), HubSubjectId = subjectId, SubjectKind = subject.Kind, DisplayName = subject.Name,
                Identifier = subject.PublicIdentifier, ListingId = row.Id, ListType = row.ListType, LegalBasis = row.LegalBasis,
                CatalogueVersion = row.CatalogueVersion, OriginAgency = row.OriginAgency, OriginProvince = row.OriginProvince,
                ValidFrom = row.ValidFrom, ValidUntil = row.ValidUntil, ImputedFromListingId = parent?.Id, ImputedRole = row.ImputedRole,
                RecordedAt = now,
            }, subjectId);
            return row;
        }

        void End(ListingRow listing, string status, string reason, DateOnly endedOn)
        {
            listing.Status = status;
            if (w.Listings.Contains(listing)) { listing.StatusReason = reason; listing.EndedOn = endedOn; listing.SupersededAt = now; }
            else w.ListingEnds.Add(new ListingEnd(listing.Id, status, reason, endedOn, now));
            Emit(new SubjectDelisted
            {
                EventId = NewId(now), HubSubjectId = listing.SubjectId, ListingId = listing.Id, ListType = listing.ListType,
                OriginAgency = listing.OriginAgency, Status = status, Reason = reason, EffectiveDate = endedOn, RecordedAt = now,
            }, listing.SubjectId);
        }

        void AddLedger(Incoming item) => w.Records.Add(new LedgerRow
        {
            AgencyCode = item.Source!.AgencyCode, SourceRecordId = item.Source.SourceRecordId, Revision = item.Source.Revision,
            Kind = item.Kind, MessageId = item.MessageId, LegalBasis = item.LegalBasis, CatalogueVersion = rules.Catalogue.Version,
            Payload = item.Payload(), ReceivedAt = now,
        });

        void Emit<T>(T message, string orderingKey) where T : class => w.Outbox.Add(new OutboxRow
        {
            MessageType = typeof(T).Name, Payload = JsonSerializer.Serialize(message, Incoming.Json), CreatedAt = now, OrderingKey = orderingKey,
        });
    }

    private static List<ListingRow> TakeActive(List<ListingRow> active, string agency, string sourceRecordId)
    {
        var taken = active.Where(l => l.OriginAgency == agency && l.SourceRecordId == sourceRecordId).ToList();
        active.RemoveAll(taken.Contains);
        return taken;
    }

    /// <summary>Version 7 ids sort by creation time, which keeps index pages warm.</summary>
    internal static string NewId(DateTimeOffset now) => Guid.CreateVersion7(now).ToString("N");

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied batch of {Count} in {ElapsedMs:0.0} ms: {Applied} applied, {Duplicates} duplicates, {Rejected} rejected")]
    private partial void LogBatch(int count, double elapsedMs, int applied, int duplicates, int rejected);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quarantined {Kind} {AgencyCode}/{SourceRecordId} (message {MessageId}): {ReasonCode}: {Reason}")]
    private partial void LogRejected(string kind, string? agencyCode, string? sourceRecordId, string? messageId, string reasonCode, string reason);
}
