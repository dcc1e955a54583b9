using System.Data.Common;
using System.Text.Json;
using Hub.Contracts;
using Hub.Domain.Identifiers;
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
    IndexDatabase db, RecordRules rules, TimeProvider time, OutboxSignal outboxSignal, AggregatorMetrics metrics, IRecordAuditSink auditSink,
    ILogger<RecordApplier> log)
{
    public const string LegalRepresentativeRole = "legal-representative";

    /// <summary>More records failing one by one in a batch than this is no bad record but a broken Hub or database.</summary>
    public const int MaxIsolated = 16;

    /// <summary>
    /// Applies the batch in one transaction. Should that fail for a reason no rule foresaw and that is not transient,
    /// the batch is split in halves, each applied in its own transaction, down to the records that fail alone: those
    /// are quarantined (<see cref="Rejection.ApplyFailed"/>) and the rest applies, in their order. When nothing applies,
    /// or more than <see cref="MaxIsolated"/> records fail alone, the fault is the Hub's or the database's, not a
    /// record's: the exception goes up, to the bus's retries and then its error queue, with the whole batch.
    /// </summary>
    public async Task<BatchOutcome> ApplyAsync(IReadOnlyList<Incoming> batch, CancellationToken ct)
    {
        try
        {
            return await ApplyOnceAsync(batch, ct);
        }
        catch (Exception ex) when (batch.Count > 1 && !IsTransient(ex) && !ct.IsCancellationRequested)
        {
            LogIsolating(batch.Count, Describe(ex), ex.StackTrace);
            metrics.BatchSplit();
            var failed = new List<(Incoming Item, Exception Error)>();
            var outcome = await IsolateAsync(batch, failed, ct);
            if (outcome is null || outcome.Applied + outcome.Duplicates + outcome.Rejected == 0) throw;
            return outcome + await QuarantineFailedAsync(failed, ct);
        }
    }

    /// <summary>Applies the halves of a failing batch; null when too many records fail alone to go on.</summary>
    private async Task<BatchOutcome?> IsolateAsync(IReadOnlyList<Incoming> batch, List<(Incoming Item, Exception Error)> failed, CancellationToken ct)
    {
        var total = new BatchOutcome(0, 0, 0);
        var half = batch.Count / 2;
        foreach (var part in new[] { batch.Take(half).ToList(), batch.Skip(half).ToList() })
        {
            try
            {
                total += await ApplyOnceAsync(part, ct);
            }
            catch (Exception ex) when (!IsTransient(ex) && !ct.IsCancellationRequested)
            {
                if (part.Count == 1)
                {
                    failed.Add((part[0], ex));
                    if (failed.Count > MaxIsolated) return null;
                    continue;
                }
                if (await IsolateAsync(part, failed, ct) is not { } inner) return null;
                total += inner;
            }
        }
        return total;
    }

    /// <summary>Quarantines the records that failed alone, in one transaction of their own, and tells their agencies.</summary>
    private async Task<BatchOutcome> QuarantineFailedAsync(List<(Incoming Item, Exception Error)> failed, CancellationToken ct)
    {
        if (failed.Count == 0) return new BatchOutcome(0, 0, 0);
        var now = time.GetUtcNow();
        var w = new IndexWrite(now);
        var refused = new List<(Incoming Item, Rejection Rejection)>(failed.Count);
        foreach (var (item, error) in failed)
        {
            var described = Describe(error);
            var reason = $"the Hub could not apply this record: {(error is DbException ? "the database refused it: " : "")}{described}";
            if (reason.Length > 500) reason = reason[..499] + "…";
            if (item.MessageId is { } id) w.InboxMessageIds.Add(id);
            var rejection = new Rejection(Rejection.ApplyFailed, reason);
            refused.Add((item, rejection));
            AddAudit(w, item, "quarantined", null, rejection.Code, now);
            LogApplyFailed(item.Kind, TextGuard.Storable(item.Source?.AgencyCode), TextGuard.Storable(item.Source?.SourceRecordId), item.MessageId,
                described, error.StackTrace);
        }
        await using var session = await db.BeginAsync(ct);
        await QuarantineAsync(session, w, refused, now, ct);
        await session.WriteAsync(w, ct);
        await session.CommitAsync(ct);
        outboxSignal.Notify();
        var outcome = new BatchOutcome(0, 0, failed.Count);
        metrics.Counted(outcome);
        return outcome;
    }

    /// <summary>An exception as the Hub writes it down (quarantine, logs): type, SQLSTATE and message, with anything that
    /// could be an ID number masked — a message may quote the key it failed on. Stack traces carry no data.</summary>
    internal static string Describe(Exception ex)
    {
        var text = ex is DbException { SqlState: { } state } ? $"{ex.GetType().Name} {state}: {ex.Message}" : $"{ex.GetType().Name}: {ex.Message}";
        if (ex.InnerException is { } inner) text += $" (from {Describe(inner)})";
        return ResidentIdNumber.MaskAllIn(text);
    }

    /// <summary>A failure that may pass by itself (connection, timeout, deadlock, lock): retried, never blamed on a record.</summary>
    internal static bool IsTransient(Exception ex) => ex switch
    {
        DbException { IsTransient: true } or TimeoutException or IOException or OperationCanceledException => true,
        { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };

    private async Task<BatchOutcome> ApplyOnceAsync(IReadOnlyList<Incoming> batch, CancellationToken ct)
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

        // the agency the transport vouches for must be the one the record names, before anything believes the name
        var refused = new List<(Incoming Item, Rejection Rejection)>();
        fresh = fresh.Where(item =>
        {
            if (item.PublisherMismatch() is not { } spoofed) return true;
            Reject(item, spoofed);
            return false;
        }).ToList();

        // text the database cannot store fails every statement carrying it, the whole batch on every retry: such a
        // record is quarantined before any read or write uses its values
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
                if (!applied.Add((s.AgencyCode, s.SourceRecordId, s.Revision, item.Kind)))
                {
                    duplicates++;
                    AddAudit(w, item, "duplicate", null, null, now);
                    continue;
                }
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
            AddLedger(item, subjectIds[i]);
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
            AddLedger(item, ended[0].SubjectId);
        }

        for (var i = 0; i < registrations.Count; i++)
        {
            var (item, intent) = registrations[i];
            var orgId = organizationIds[i];
            var personId = resolver.Resolve(intent.LegalRepresentative, representatives.Find(orgId, intent.LegalRepresentative.NormalizedName));
            representatives.Link(w, orgId, personId, intent.LegalRepresentative.NormalizedName, intent.Agency.Code, intent.Source.SourceRecordId, intent.RegisteredOn);
            AddLedger(item, orgId);
        }

        await QuarantineAsync(session, w, refused, now, ct);
        await session.WriteAsync(w, ct);
        await session.CommitAsync(ct);
        if (w.Outbox.Count > 0) outboxSignal.Notify();

        var outcome = new BatchOutcome(w.Records.Count, duplicates, refused.Count);
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
            refused.Add((item, r));
            AddAudit(w, item, "quarantined", null, r.Code, now);
            LogRejected(item.Kind, TextGuard.Storable(item.PublisherAgency), TextGuard.Storable(item.Source?.SourceRecordId), item.MessageId, r.Code, r.Reason);
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

        void AddLedger(Incoming item, string subjectId)
        {
            w.Records.Add(new LedgerRow
            {
                AgencyCode = item.Source!.AgencyCode, SourceRecordId = item.Source.SourceRecordId, Revision = item.Source.Revision,
                Kind = item.Kind, MessageId = item.MessageId, LegalBasis = item.LegalBasis, CatalogueVersion = rules.Catalogue.Version,
                Payload = item.Payload(), ReceivedAt = now,
            });
            AddAudit(w, item, "applied", subjectId, null, now);
        }

        void Emit<T>(T message, string orderingKey) where T : class => AddOutbox(w, message, orderingKey, now);
    }

    /// <summary>
    /// Keeps the refused records of a batch in quarantine and tells their agencies (<see cref="RecordRejected"/>), with
    /// one read of the rows still waiting for their source record ids. A record already waiting under its
    /// <see cref="QuarantineKey"/> (a court sending its file again, or the same record twice in the batch) keeps that
    /// row: no new one, and its answer carries the row's id with the reason of now — a resend deserves an answer.
    /// </summary>
    /// <remarks>The agency is the one that published the record (<see cref="Incoming.PublisherAgency"/>), not the one
    /// its body names: a spoofed record is reported to its real publisher, never to the agency it pretends to be. With
    /// no publisher anyone vouches for there is nobody to tell: the record waits in quarantine for an operator, and no
    /// <see cref="RecordRejected"/> goes out.</remarks>
    private static async Task QuarantineAsync(
        IndexSession session, IndexWrite w, List<(Incoming Item, Rejection Rejection)> refused, DateTimeOffset now, CancellationToken ct)
    {
        if (refused.Count == 0) return;
        var keys = refused.Select(r => KeyOf(r.Item)).ToList();
        var waiting = new Dictionary<QuarantineKey, string>();
        var sourceIds = keys.Where(k => k is not null).Select(k => k!.Value.SourceRecordId).ToHashSet();
        foreach (var row in await session.WaitingQuarantineAsync(sourceIds, ct))
            if (QuarantineKey.Of(row.AgencyCode, row.SourceRecordId, row.Revision, row.Kind) is { } k)
                waiting.TryAdd(k, row.Id);

        for (var i = 0; i < refused.Count; i++)
        {
            var ((item, r), key) = (refused[i], keys[i]);
            var s = item.Source;
            var (agency, sourceId) = (TextGuard.Storable(item.PublisherAgency), TextGuard.Storable(s?.SourceRecordId));
            if (key is not { } k || !waiting.TryGetValue(k, out var quarantineId))
            {
                quarantineId = NewId(now);
                w.Quarantine.Add(new QuarantineRow
                {
                    Id = quarantineId, AgencyCode = agency, SourceRecordId = sourceId, Revision = s?.Revision,
                    Kind = item.Kind, ReasonCode = r.Code, Reason = r.Reason, Payload = item.Payload(), MessageId = item.MessageId, ReceivedAt = now,
                });
                if (key is { } added) waiting.Add(added, quarantineId);
            }
            if (agency is null) continue;
            AddOutbox(w, new RecordRejected
            {
                EventId = NewId(now), AgencyCode = agency, SourceRecordId = sourceId ?? "", Revision = s?.Revision ?? 0,
                RecordKind = item.Kind, ReasonCode = r.Code, Reason = r.Reason, QuarantineId = quarantineId, RejectedAt = now,
            }, $"{agency}/{sourceId}", now);
        }

        static QuarantineKey? KeyOf(Incoming item) => QuarantineKey.Of(
            TextGuard.Storable(item.PublisherAgency), TextGuard.Storable(item.Source?.SourceRecordId), item.Source?.Revision, item.Kind);
    }

    /// <summary>The bus door's audit entry for one record: who published it, what became of it, which subject it is about.
    /// Appended with the batch it describes, in the same transaction.</summary>
    private void AddAudit(IndexWrite w, Incoming item, string outcome, string? subjectId, string? reasonCode, DateTimeOffset now)
    {
        // who published it is the agency the transport vouched for, not the one the body names: a spoofed record must
        // not go on record as the court it pretends to be (the detail keeps the code it claimed)
        var agency = TextGuard.Storable(item.PublisherAgency);
        var detail = $"{item.Kind} {TextGuard.Storable(item.Source?.AgencyCode)}/{TextGuard.Storable(item.Source?.SourceRecordId)} revision {item.Source?.Revision}" +
                     (item.MessageId is { } m ? $", message {m}" : "");
        auditSink.Add(w, new Storage.Audit.AuditEntry(now, agency ?? "unknown", agency, "record.apply", null, subjectId,
            reasonCode is null ? outcome : $"{outcome}:{reasonCode}", detail, "bus"));
    }

    private static void AddOutbox<T>(IndexWrite w, T message, string orderingKey, DateTimeOffset now) where T : class => w.Outbox.Add(new OutboxRow
    {
        MessageType = typeof(T).Name, Payload = JsonSerializer.Serialize(message, Incoming.Json), CreatedAt = now, OrderingKey = orderingKey,
    });

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying a batch of {Count} failed: {Error}; applying it in halves to find the records that fail alone\n{StackTrace}")]
    private partial void LogIsolating(int count, string error, string? stackTrace);

    [LoggerMessage(Level = LogLevel.Error, Message = "Quarantined {Kind} {AgencyCode}/{SourceRecordId} (message {MessageId}): it fails alone and the rest of its batch applied: {Error}\n{StackTrace}")]
    private partial void LogApplyFailed(string kind, string? agencyCode, string? sourceRecordId, string? messageId, string error, string? stackTrace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quarantined {Kind} {AgencyCode}/{SourceRecordId} (message {MessageId}): {ReasonCode}: {Reason}")]
    private partial void LogRejected(string kind, string? agencyCode, string? sourceRecordId, string? messageId, string reasonCode, string reason);
}
