using System.Data.Common;
using System.Text.Json;
using Hub.Contracts;
using Hub.Domain.Identifiers;
using Hub.Domain.Intake;
using Hub.Domain.Lifecycle;
using Hub.Aggregator.Outbox;
using Hub.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hub.Aggregator.Applying;

/// <summary>
/// Applies a batch of inbound records to the index in one transaction: drops messages and records already seen,
/// checks each against <see cref="RecordRules"/>, quarantines what fails, resolves subjects, writes listings
/// (imputing them to legal representatives where the catalogue says so), the ledger, and the outbound events
/// into the outbox — all with multi-row statements. No bus here: consumers call it, tests call it directly.
/// </summary>
public sealed partial class RecordApplier(
    IndexDatabase db, RecordRules rules, TimeProvider time, OutboxSignal outboxSignal, AggregatorMetrics metrics, IRecordAuditSink auditSink,
    ILogger<RecordApplier> log, IOptions<AggregatorOptions>? options = null, WorkingDays? calendar = null)
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
        metrics.Arrived(batch, time.GetUtcNow());
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
            if (outcome is null || outcome.Total == 0) throw;
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
        DbException { IsTransient: true } or TimeoutException or IOException or OperationCanceledException or ConcurrentChangeException => true,
        { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };

    private async Task<BatchOutcome> ApplyOnceAsync(IReadOnlyList<Incoming> batch, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var p = new Pass(this, now);
        var w = p.Write;
        await using var session = await db.BeginAsync(ct);

        var messageIds = batch.Select(b => b.MessageId).OfType<string>().ToHashSet();
        var seenMessages = await session.SeenMessagesAsync(messageIds, ct);
        var fresh = batch.Where(b => b.MessageId is null || !seenMessages.Contains(b.MessageId))
            .DistinctBy(b => b.MessageId ?? Guid.NewGuid().ToString()).ToList();
        var duplicates = batch.Count - fresh.Count;
        w.InboxMessageIds.AddRange(fresh.Select(b => b.MessageId).OfType<string>());

        // the agency the transport vouches for must be the one the record names, before anything believes the name
        fresh = fresh.Where(item =>
        {
            if (item.PublisherMismatch() is not { } spoofed) return true;
            p.Reject(item, spoofed);
            return false;
        }).ToList();

        // text the database cannot store fails every statement carrying it, the whole batch on every retry: such a
        // record is quarantined before any read or write uses its values
        fresh = fresh.Where(item =>
        {
            if (TextGuard.Find(item.Message) is not { } bad) return true;
            p.Reject(item, bad);
            return false;
        }).ToList();

        // removals that wait for a listing this batch may bring: one read, and only while any wait
        var listingSourceIds = fresh.Where(b => b.Message is JudgmentDefaulterListed or AdministrativePenaltyRecorded)
            .Select(b => b.Source?.SourceRecordId).OfType<string>().ToHashSet();
        var heldRows = _mayHoldRemovals && listingSourceIds.Count > 0 ? await session.HeldRemovalsForListingsAsync(listingSourceIds, ct) : [];

        // the ledger says which (agency, source id, revision, kind) were applied before, and the newest revision of each;
        // for a removal, also whether the listing it ends was ever applied; for a held removal, whether it was since
        var removalTargets = fresh.Select(b => (b.Message as JudgmentDefaulterRemoved)?.ListingSourceRecordId?.Trim()).OfType<string>();
        var sourceIds = fresh.Select(b => b.Source?.SourceRecordId).OfType<string>()
            .Concat(removalTargets).Concat(heldRows.Select(h => h.SourceRecordId)).ToHashSet();
        var ledger = await session.RecordsBySourceAsync(sourceIds, ct);
        var stored = ledger.Select(r => (r.AgencyCode, r.SourceRecordId, r.Revision, r.Kind)).ToHashSet();
        var applied = stored.ToHashSet();
        var newest = ledger.GroupBy(r => (r.AgencyCode, r.SourceRecordId, r.Kind)).ToDictionary(g => g.Key, g => g.Max(r => r.Revision));
        var everListed = ledger.Where(r => r.Kind is nameof(JudgmentDefaulterListed) or nameof(AdministrativePenaltyRecorded))
            .Select(r => (r.AgencyCode, r.SourceRecordId)).ToHashSet();

        // every record that passes, in the order it arrived: a removal may follow its listing, a revision the one before
        var steps = new List<Step>(fresh.Count);
        foreach (var item in fresh)
        {
            var s = item.Source;
            var keyed = s is not null && !string.IsNullOrWhiteSpace(s.AgencyCode) && !string.IsNullOrWhiteSpace(s.SourceRecordId);
            if (keyed)
            {
                if (!applied.Add((s!.AgencyCode, s.SourceRecordId, s.Revision, item.Kind)))
                {
                    duplicates++;
                    p.Audit(item, "duplicate", null, null);
                    continue;
                }
                if (newest.TryGetValue((s.AgencyCode, s.SourceRecordId, item.Kind), out var rev) && rev > s.Revision)
                {
                    p.Reject(item, new Rejection(Rejection.StaleRevision, $"revision {s.Revision} arrived after revision {rev} of the same record"));
                    continue;
                }
            }
            var step = item.Message switch
            {
                JudgmentDefaulterListed m => Step.Of(item, rules.Check(m)),
                AdministrativePenaltyRecorded m => Step.Of(item, rules.Check(m)),
                JudgmentDefaulterRemoved m => Step.Of(item, rules.Check(m)),
                OrganizationRegistered m => Step.Of(item, rules.Check(m)),
                ListingDisputed m => Step.Of(item, rules.Check(m)),
                DisputeResolved m => Step.Of(item, rules.Check(m)),
                CreditRepairGranted m => Step.Of(item, rules.Check(m)),
                _ => new Step(item, null, new Rejection(Rejection.WrongRecordKind, $"the Hub does not apply {item.Kind} records")),
            };
            if (step.Rejection is { } r)
            {
                p.Reject(item, r);
                continue;
            }
            steps.Add(step);
            // a lower revision later in this batch is as stale as one after a stored revision
            if (keyed && (!newest.TryGetValue((s!.AgencyCode, s.SourceRecordId, item.Kind), out var known) || known < s.Revision))
                newest[(s.AgencyCode, s.SourceRecordId, item.Kind)] = s.Revision;
        }

        // subjects: one query for every strong key in the batch, resolved in arrival order; then the representatives
        // of the organisations found
        var values = steps.SelectMany(st => st.Listing is { } l
                ? SubjectResolver.StrongValues(l.Subject).Concat(SubjectResolver.StrongValues(l.LegalRepresentative))
                : st.Registration is { } g ? SubjectResolver.StrongValues(g.Organization).Concat(SubjectResolver.StrongValues(g.LegalRepresentative)) : [])
            .ToHashSet();
        var strong = await session.StrongIdentifiersAsync(values, ct);
        // persons the strong keys did not find may be known by their masked ID number: one more read, only for them
        var knownValues = strong.Select(r => r.Value).ToHashSet();
        var masked = options?.Value.WeakResolution == false ? new HashSet<string>() : steps.SelectMany(st => st.Listing is { } l
                ? SubjectResolver.WeakValues(l.Subject, knownValues).Concat(SubjectResolver.WeakValues(l.LegalRepresentative, knownValues))
                : st.Registration is { } g ? SubjectResolver.WeakValues(g.LegalRepresentative, knownValues) : [])
            .ToHashSet();
        var resolver = new SubjectResolver(strong, await session.WeakCandidatesAsync(masked, ct), w, () => NewId(now));
        foreach (var st in steps)
            st.SubjectId = st.Listing is { } l ? resolver.Resolve(l.Subject) : st.Registration is { } g ? resolver.Resolve(g.Organization) : null;
        var representatives = new RepresentativeBook(
            await session.RepresentativesAsync(steps.Select(st => st.SubjectId).OfType<string>().Where(id => !resolver.IsNew(id)).ToHashSet(), ct));

        // a new revision of a listing, or a removal, ends the active listings that share its source: those stored, and
        // those written earlier in this batch
        var active = (await session.ActiveListingsBySourceAsync(
                steps.Select(st => st.Listing?.Source.SourceRecordId ?? st.TargetListing).OfType<string>().ToHashSet(), ct))
            .ToList();

        // open disputes of the listings this batch disputes, decides, or corrects (a correction stays disputed); a first
        // revision cannot have one, so the common batch of new listings does not read them
        var disputeKeys = steps.Select(st => st.Dispute?.ListingSourceRecordId ?? st.Resolution?.ListingSourceRecordId
                                             ?? (st.Listing is { Source.Revision: > 1 } l ? l.Source.SourceRecordId : null))
            .OfType<string>().ToHashSet();
        var openDisputes = (await session.OpenDisputesAsync(disputeKeys, ct)).ToDictionary(d => (d.AgencyCode, d.ListingSourceRecordId));

        // removals waiting for a listing, by (agency, listing source id): those stored, then those of this batch
        var held = new Dictionary<(string Agency, string ListingSourceId), List<Held>>();
        foreach (var row in heldRows)
            Waiting(row.AgencyCode, row.ListingSourceRecordId).Add(new Held(Incoming.OfHeld(row), null, row));
        var released = new HashSet<(string, string, int, string)>();
        var registered = new List<(RegistrationIntent Registration, string OrganizationId, string PersonId)>();

        foreach (var st in steps)
        {
            var item = st.Item;
            p.BeginStep();
            if (st.Listing is { } intent)
            {
                var key = (intent.Agency.Code, intent.Source.SourceRecordId);
                foreach (var old in TakeActive(active, key.Code, key.SourceRecordId).Concat(p.ActiveWritten(key)))
                    p.End(old, ListingStatus.Superseded, $"revision {intent.Source.Revision}", intent.ValidFrom);
                var subjectId = st.SubjectId!;
                var listing = p.AddListing(intent, subjectId, intent.Subject, parent: null);
                var listed = new List<ListingRow> { listing };
                if (intent.LegalRepresentative is { } rep && intent.Subject.Kind == SubjectKind.Organization)
                {
                    var personId = resolver.Resolve(rep, representatives.Find(subjectId, rep.NormalizedName));
                    representatives.Link(w, subjectId, personId, rep, intent.Agency.Code, intent.Source.SourceRecordId, intent.ValidFrom);
                    if (intent.Basis.ImputeLegalRepresentative)
                        listed.Add(p.AddListing(intent, personId, rep, listing));
                }
                // the record names none: the representative the index knows for the decision date
                else if (intent.Subject.Kind == SubjectKind.Organization && intent.Basis.ImputeLegalRepresentative
                         && representatives.On(subjectId, intent.ValidFrom) is { } known)
                    listed.Add(p.AddListing(intent, known.PersonId, known.Keys, listing));
                // a correction of a disputed listing is disputed as well, until the dispute is decided
                if (openDisputes.TryGetValue(key, out var disputed))
                    p.MarkDisputed(disputed, listed);
                p.AddLedger(item, subjectId);

                // a removal that came first is applied right after the listing it ends
                if (held.Remove(key, out var waiting))
                    foreach (var h in waiting)
                        Release(h, key);
            }
            else if (st.Removal is { } removal)
            {
                var key = (removal.Agency.Code, removal.ListingSourceRecordId);
                var ended = TakeActive(active, key.Code, key.ListingSourceRecordId).Concat(p.ActiveWritten(key)).ToList();
                if (ended.Count > 0)
                    p.Remove(item, removal, ended, receivedAt: now);
                else if (everListed.Contains(key) || p.Wrote(key))
                    p.Reject(item, new Rejection(Rejection.NoSuchListing,
                        $"the listing of agency {removal.Agency.Code} with source record id '{removal.ListingSourceRecordId}' has ended already"));
                else
                    Waiting(key.Code, key.ListingSourceRecordId).Add(new Held(item, removal, null));
            }
            else if (st.Dispute is { } dispute)
            {
                var key = (dispute.Agency.Code, dispute.ListingSourceRecordId);
                var current = ActiveOf(active, key).Concat(p.ActiveWritten(key)).ToList();
                if ((NotFound(current, key) ?? Mismatch(current, dispute.Basis.Code)) is { } refused)
                    p.Reject(item, refused);
                else if (openDisputes.TryGetValue(key, out var open))
                    p.Reject(item, new Rejection(Rejection.DisputeOpen,
                        $"the listing of agency {key.Code} with source record id '{key.ListingSourceRecordId}' has an undecided dispute already: " +
                        $"'{open.SourceRecordId}', filed on {open.FiledOn:yyyy-MM-dd}; decide it (DisputeResolved) before sending another"));
                else
                {
                    var deadline = dispute.DisputeKind == DisputeKind.CorrectionRequest && dispute.Basis.DisputeReviewDays is { } days
                        ? Calendar.PeriodEnd(dispute.FiledOn, days) : (DateOnly?)null;
                    openDisputes[key] = p.OpenDispute(item, dispute, current, deadline);
                }
            }
            else if (st.Resolution is { } resolution)
            {
                var key = (resolution.Agency.Code, resolution.ListingSourceRecordId);
                if (!openDisputes.TryGetValue(key, out var open) || open.SourceRecordId != resolution.DisputeSourceRecordId)
                    p.Reject(item, new Rejection(Rejection.NoSuchDispute,
                        $"agency {key.Code} has no undecided dispute '{resolution.DisputeSourceRecordId}' of the listing with source record id '{key.ListingSourceRecordId}'" +
                        (open is null ? "" : $"; the undecided one is '{open.SourceRecordId}'")));
                else if (Mismatch(ActiveOf(active, key).Concat(p.ActiveWritten(key)).ToList(), resolution.Basis.Code) is { } mismatch)
                    p.Reject(item, mismatch);
                else
                {
                    openDisputes.Remove(key);
                    // revoked: the listing is annulled — it and the listings imputed from it end, in force on no day
                    var current = resolution.Outcome == DisputeOutcome.Revoked
                        ? TakeActive(active, key.Code, key.ListingSourceRecordId).Concat(p.ActiveWritten(key)).ToList()
                        : ActiveOf(active, key).Concat(p.ActiveWritten(key)).ToList();
                    p.ResolveDispute(item, resolution, open, current);
                }
            }
            else if (st.Repair is { } repair)
            {
                var key = (repair.Agency.Code, repair.ListingSourceRecordId);
                var current = ActiveOf(active, key).Concat(p.ActiveWritten(key)).ToList();
                if ((NotFound(current, key) ?? Mismatch(current, repair.Basis.Code) ?? TooEarly(current, repair)) is { } refused)
                    p.Reject(item, refused);
                else
                    p.Repair(item, repair, TakeActive(active, key.Code, key.ListingSourceRecordId).Concat(p.ActiveWritten(key)).ToList());
            }
            else if (st.Registration is { } reg)
            {
                var orgId = st.SubjectId!;
                var personId = resolver.Resolve(reg.LegalRepresentative, representatives.Find(orgId, reg.LegalRepresentative.NormalizedName));
                representatives.Link(w, orgId, personId, reg.LegalRepresentative, reg.Agency.Code, reg.Source.SourceRecordId, reg.RegisteredOn);
                p.AddLedger(item, orgId);
                registered.Add((reg, orgId, personId));
            }
        }

        // a registration whose representative is listed, or represents a listed organisation: the offender may be
        // setting up again — the subscribers of that list in the new organisation's province are told
        if (registered.Count > 0)
        {
            var tied = (await session.TiedListingsAsync(registered.Select(r => r.PersonId).Where(id => !resolver.IsNew(id)).ToHashSet(), ct)).ToList();
            tied.AddRange(w.Listings.Where(l => l.ParentListingId is null && l.Status == ListingStatus.Active).Select(l => new TiedListingRow
            {
                PersonId = l.SubjectId, Relation = "listed", Id = l.Id, SubjectId = l.SubjectId, ListType = l.ListType, LegalBasis = l.LegalBasis,
                OriginAgency = l.OriginAgency, OriginProvince = l.OriginProvince, Status = l.Status, ValidFrom = l.ValidFrom, ValidUntil = l.ValidUntil,
            }));
            var today = ListingClock.DayAt(now);
            var raised = new HashSet<(string Organization, string Listing)>();
            foreach (var (reg, orgId, personId) in registered)
                foreach (var l in tied.Where(t => t.PersonId == personId && t.SubjectId != orgId).DistinctBy(t => t.Id))
                    if (ListingClock.StateOn(l.Status, l.ValidFrom, l.ValidUntil, today).InForce)
                    {
                        p.Relocation(reg, orgId, personId, l);
                        raised.Add((orgId, l.Id));
                    }

            // a new organisation with the core name of a listed one and a representative of the same name as its current
            // one (the representative may come without an ID number): the listed business reappearing under a new USCC —
            // one read by the new organisations' core names (indexed), plus the organisations this batch listed
            var newOrganizations = registered.Where(r => resolver.IsNew(r.OrganizationId)).ToList();
            if (newOrganizations.Count > 0)
            {
                var byName = (await session.ListingsByCoreNameAsync(
                        newOrganizations.Select(r => r.Registration.Organization.CoreName).OfType<string>().ToHashSet(), ct))
                    .Select(row => Reappearance.Of(row, representatives.Current(row.SubjectId))).ToList();
                foreach (var st in steps)
                    if (st.Listing is { Subject.Kind: SubjectKind.Organization } l && representatives.Current(st.SubjectId!) is { } rep)
                        byName.AddRange(w.Listings.Where(x => x.SubjectId == st.SubjectId && x.ParentListingId is null && x.Status == ListingStatus.Active)
                            .Select(x => Reappearance.Of(x, l.Subject, rep)));
                foreach (var found in Reappearance.Find(newOrganizations, byName, today))
                    if (raised.Add((found.OrganizationId, found.Listing.Id)))
                        p.Relocation(found.Registration, found.OrganizationId, found.PersonId, found.Listing, found.Score);
            }
        }

        // new persons who may be known ones (name and birth date, nothing stronger): for an operator to judge, once per pair
        if (resolver.ReviewPairs.Count > 0)
        {
            var judged = (await session.ReviewsOfAsync(resolver.ReviewPairs.Select(r => r.Known).ToHashSet(), ct))
                .Select(r => (r.SubjectA, r.SubjectB)).ToHashSet();
            foreach (var (knownId, newSubject, score) in resolver.ReviewPairs.DistinctBy(r => (r.Known, r.New)))
                if (judged.Add((knownId, newSubject)))
                    w.Reviews.Add(new MatchReviewRow
                    {
                        Id = NewId(now), SubjectA = knownId, SubjectB = newSubject, Kind = nameof(SubjectKind.Person), Score = Math.Round(score.Score, 4),
                        Evidence = JsonSerializer.Serialize(score.Evidence, Incoming.Json), CreatedAt = now,
                    });
        }

        // removals of this batch whose listing has not come: they wait, with a deadline
        var heldCount = 0;
        foreach (var h in held.Values.SelectMany(v => v).Where(h => h.Row is null))
        {
            var s = h.Item.Source!;
            w.HeldRemovals.Add(new HeldRemovalRow
            {
                Id = NewId(now), AgencyCode = s.AgencyCode, SourceRecordId = s.SourceRecordId, Revision = s.Revision,
                ListingSourceRecordId = h.Intent!.ListingSourceRecordId, Kind = h.Item.Kind, MessageId = h.Item.MessageId,
                Payload = h.Item.Payload(), ReceivedAt = now, Deadline = now + HeldRemovalDeadline,
            });
            p.Audit(h.Item, "held", null, null);
            LogHeld(TextGuard.Storable(s.AgencyCode), TextGuard.Storable(s.SourceRecordId), h.Intent.ListingSourceRecordId, h.Item.MessageId, now + HeldRemovalDeadline);
            heldCount++;
        }

        await QuarantineAsync(session, w, p.Refused, now, ct);
        await session.WriteAsync(w, ct);
        await session.CommitAsync(ct);
        if (heldCount > 0) Holding();
        if (w.Outbox.Count > 0) outboxSignal.Notify();

        var outcome = new BatchOutcome(w.Records.Count, duplicates, p.Refused.Count, heldCount);
        var elapsedMs = time.GetElapsedTime(started).TotalMilliseconds;
        metrics.BatchApplied(batch.Count, outcome, elapsedMs);
        LogBatch(batch.Count, elapsedMs, outcome.Applied, outcome.Duplicates, outcome.Rejected, outcome.Held);
        return outcome;

        static Rejection? NotFound(List<ListingRow> current, (string Code, string ListingSourceRecordId) key) => current.Count > 0 ? null
            : new Rejection(Rejection.NoSuchListing,
                $"agency {key.Code} has no listing in force with source record id '{key.ListingSourceRecordId}': it never arrived, or it has ended");

        List<Held> Waiting(string agency, string listingSourceId)
        {
            if (!held.TryGetValue((agency, listingSourceId), out var list)) held[(agency, listingSourceId)] = list = [];
            return list;
        }

        void Release(Held h, (string Agency, string SourceRecordId) listingKey)
        {
            var s = h.Item.Source!;
            var recordKey = (s.AgencyCode, s.SourceRecordId, s.Revision, h.Item.Kind);
            if (h.Row is { } row)
            {
                w.ReleasedHeldRemovals.Add(row.Id);
                applied.Add(recordKey);         // a copy later in this batch is a duplicate
            }
            // sent again while it waited (a copy held in this batch, or one applied since): once is enough
            if (stored.Contains(recordKey) || !released.Add(recordKey))
            {
                duplicates++;
                p.Audit(h.Item, "duplicate", null, null);
                return;
            }
            var decision = h.Intent is { } known ? new Decision<RemovalIntent>(known, null) : rules.Check((JudgmentDefaulterRemoved)h.Item.Message);
            if (decision.Rejection is { } r)
            {
                p.Reject(h.Item, r);
                return;
            }
            // a held removal was received when it was held: its deadline runs from then
            p.Remove(h.Item, decision.Value!, p.ActiveWritten(listingKey).ToList(), receivedAt: h.Row?.ReceivedAt ?? now);
        }
    }

    /// <summary>A record acting on a listing must name the listing's own basis: the catalogue rules it was checked
    /// against (may this agency dispute or repair, is repair allowed) are that basis's.</summary>
    private static Rejection? Mismatch(List<ListingRow> current, string basis) =>
        current.Find(l => l.ParentListingId is null) is { } issued && !string.Equals(issued.LegalBasis, basis, StringComparison.OrdinalIgnoreCase)
            ? new Rejection(Rejection.BasisMismatch,
                $"the listing with source record id '{issued.SourceRecordId}' was issued under {issued.LegalBasis}, the record names {basis}")
            : null;

    /// <summary>Repair may end a listing only once it has been public for the basis's minimum period.</summary>
    private static Rejection? TooEarly(List<ListingRow> current, RepairIntent repair)
    {
        var issued = current.Find(l => l.ParentListingId is null) ?? current[0];
        var months = repair.Basis.CreditRepair?.MinPublicityMonths ?? 0;
        var earliest = issued.ValidFrom.AddMonths(months);
        return repair.EffectiveDate >= earliest ? null
            : new Rejection(Rejection.RepairTooEarly,
                $"a listing under {repair.Basis.Code} stays public at least {months} months from its decision on {issued.ValidFrom:yyyy-MM-dd}, " +
                $"until {earliest.AddDays(-1):yyyy-MM-dd}; repair effective {repair.EffectiveDate:yyyy-MM-dd} is too early");
    }

    /// <summary>
    /// Applies the removals that wait for their listing and whose listing is there by now (applied by another
    /// process, which did not see them), and quarantines (<see cref="Rejection.NoSuchListing"/>, with a
    /// <see cref="RecordRejected"/>) those past their deadline. Run by <see cref="HeldRemovalSweeper"/>; reads at most
    /// <paramref name="limit"/> of them, the nearest deadline first.
    /// </summary>
    public async Task<HeldSweep> SweepHeldRemovalsAsync(CancellationToken ct, int limit = 1_000)
    {
        long holdsBefore;
        lock (_holdGate) holdsBefore = _holds;
        var now = time.GetUtcNow();
        var p = new Pass(this, now);
        var w = p.Write;
        await using var session = await db.BeginAsync(ct);
        var rows = await session.HeldRemovalsAsync(limit, ct);
        var active = (await session.ActiveListingsBySourceAsync(rows.Select(r => r.ListingSourceRecordId).ToHashSet(), ct)).ToList();
        var stored = (await session.RecordsBySourceAsync(rows.Select(r => r.SourceRecordId).ToHashSet(), ct))
            .Select(r => (r.AgencyCode, r.SourceRecordId, r.Revision, r.Kind)).ToHashSet();
        int applied = 0, expired = 0, waiting = 0;
        foreach (var row in rows)
        {
            var item = Incoming.OfHeld(row);
            var ended = TakeActive(active, row.AgencyCode, row.ListingSourceRecordId);
            if (stored.Contains((row.AgencyCode, row.SourceRecordId, row.Revision, row.Kind)))
            {
                p.Audit(item, "duplicate", null, null);                         // applied meanwhile, as a copy sent again
            }
            else if (ended.Count > 0)
            {
                var decision = rules.Check((JudgmentDefaulterRemoved)item.Message);
                if (decision.Value is { } removal)
                {
                    p.Remove(item, removal, ended, receivedAt: row.ReceivedAt);
                    applied++;
                }
                else
                {
                    p.Reject(item, decision.Rejection!);
                    expired++;
                }
            }
            else if (row.Deadline <= now)
            {
                p.Reject(item, new Rejection(Rejection.NoSuchListing,
                    $"agency {row.AgencyCode} sent no listing with source record id '{row.ListingSourceRecordId}' within {Shown(row.Deadline - row.ReceivedAt)} of this removal"));
                expired++;
            }
            else
            {
                waiting++;
                continue;
            }
            w.ReleasedHeldRemovals.Add(row.Id);
        }
        if (w.ReleasedHeldRemovals.Count > 0)
        {
            await QuarantineAsync(session, w, p.Refused, now, ct);
            await session.WriteAsync(w, ct);
            await session.CommitAsync(ct);
            if (w.Outbox.Count > 0) outboxSignal.Notify();
            metrics.Counted(new BatchOutcome(applied, 0, expired));
        }
        // nothing waits: batches may skip the read of held removals until one is held again
        if (waiting == 0 && rows.Count < limit)
            lock (_holdGate)
                if (_holds == holdsBefore) _mayHoldRemovals = false;
        return new HeldSweep(applied, expired, waiting);

        static string Shown(TimeSpan t) => t.TotalHours >= 24 && t.TotalDays == Math.Floor(t.TotalDays) ? $"{t.TotalDays:0} days" : $"{t.TotalHours:0.#} hours";
    }

    private readonly Lock _holdGate = new();
    private long _holds;
    private volatile bool _mayHoldRemovals = true;

    /// <summary>A batch held a removal: batches read held removals again until a sweep finds none.</summary>
    private void Holding()
    {
        lock (_holdGate)
        {
            _holds++;
            _mayHoldRemovals = true;
        }
    }

    private string CatalogueVersion => rules.Catalogue.Version;

    /// <summary>The working-day calendar removal deadlines count in; the shipped one unless one is registered.</summary>
    private WorkingDays Calendar => calendar ?? WorkingDays.Embedded();

    private TimeSpan HeldRemovalDeadline => options?.Value.HeldRemovalDeadline ?? new AggregatorOptions().HeldRemovalDeadline;

    /// <summary>One record that passed the checks, with what it means to do; in the order it arrived.</summary>
    private sealed class Step(Incoming item, object? intent, Rejection? rejection)
    {
        public Incoming Item { get; } = item;
        public Rejection? Rejection { get; } = rejection;
        public ListingIntent? Listing => intent as ListingIntent;
        public RemovalIntent? Removal => intent as RemovalIntent;
        public RegistrationIntent? Registration => intent as RegistrationIntent;
        public DisputeIntent? Dispute => intent as DisputeIntent;
        public ResolutionIntent? Resolution => intent as ResolutionIntent;
        public RepairIntent? Repair => intent as RepairIntent;

        /// <summary>The source record id of the listing a removal, dispute, decision or repair acts on.</summary>
        public string? TargetListing => Removal?.ListingSourceRecordId ?? Dispute?.ListingSourceRecordId
            ?? Resolution?.ListingSourceRecordId ?? Repair?.ListingSourceRecordId;

        /// <summary>The subject a listing is about, the organisation a registration names.</summary>
        public string? SubjectId { get; set; }

        public static Step Of<T>(Incoming item, Decision<T> d) where T : class => new(item, d.Value, d.Rejection);
    }

    /// <summary>A removal waiting for its listing: stored (<paramref name="Row"/>) or from this batch (<paramref name="Intent"/>).</summary>
    private sealed record Held(Incoming Item, RemovalIntent? Intent, HeldRemovalRow? Row);

    /// <summary>What one transaction writes, and the steps that write it: listings, their ends, the ledger, events, refusals.</summary>
    private sealed class Pass(RecordApplier applier, DateTimeOffset now)
    {
        private readonly HashSet<ListingRow> _new = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<(string Agency, string SourceRecordId), List<ListingRow>> _written = [];

        public IndexWrite Write { get; } = new(now);
        public List<(Incoming Item, Rejection Rejection)> Refused { get; } = [];

        /// <summary>The listings of this pass with this (agency, source id) still active, imputed ones included.</summary>
        public IEnumerable<ListingRow> ActiveWritten((string Agency, string SourceRecordId) key) =>
            _written.TryGetValue(key, out var rows) ? rows.Where(r => r.Status == ListingStatus.Active).ToList() : [];

        public bool Wrote((string Agency, string SourceRecordId) key) => _written.ContainsKey(key);

        public void Reject(Incoming item, Rejection r)
        {
            Refused.Add((item, r));
            Audit(item, "quarantined", null, r.Code);
            applier.LogRejected(item.Kind, TextGuard.Storable(item.PublisherAgency), TextGuard.Storable(item.Source?.SourceRecordId), item.MessageId, r.Code, r.Reason);
        }

        /// <summary>The record's audit entry and its data-quality row, with the issued listings it wrote and the first
        /// event it raised since <see cref="BeginStep"/> (or the record audited before it).</summary>
        public void Audit(Incoming item, string outcome, string? subjectId, string? reasonCode)
        {
            applier.AddAudit(Write, item, outcome, subjectId, reasonCode, now, _stepListings, _stepEvent);
            BeginStep();
        }

        /// <summary>What follows is one record's work: its listings and events are counted afresh.</summary>
        public void BeginStep()
        {
            _stepListings = 0;
            _stepEvent = null;
        }

        private int _stepListings;
        private string? _stepEvent;

        public ListingRow AddListing(ListingIntent intent, string subjectId, SubjectKeys subject, ListingRow? parent)
        {
            var row = new ListingRow
            {
                Id = NewId(now), SubjectId = subjectId, ListType = intent.Basis.ListType!, LegalBasis = intent.Basis.Code,
                CatalogueVersion = applier.CatalogueVersion, OriginAgency = intent.Agency.Code, OriginProvince = intent.Agency.ProvinceCode,
                SourceRecordId = intent.Source.SourceRecordId, SourceRevision = intent.Source.Revision, Reference = intent.Reference,
                ValidFrom = intent.ValidFrom, ValidUntil = intent.ValidUntil, Status = ListingStatus.Active, RecordedAt = now,
                ParentListingId = parent?.Id, ImputedRole = parent is null ? null : LegalRepresentativeRole,
            };
            Write.Listings.Add(row);
            _new.Add(row);
            if (parent is null) _stepListings++;
            var key = (row.OriginAgency, row.SourceRecordId);
            if (!_written.TryGetValue(key, out var rows)) _written[key] = rows = [];
            rows.Add(row);
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

        /// <summary>
        /// A court's removal ends its listing and the listings imputed from it, goes into the ledger, and starts its
        /// clock: a <see cref="RemovalDeadlineRow"/> for the issued listing's <see cref="SubjectDelisted"/>, due
        /// <see cref="WorkingDays.RemovalDeadline"/> after <paramref name="receivedAt"/>.
        /// </summary>
        public void Remove(Incoming item, RemovalIntent removal, List<ListingRow> ended, DateTimeOffset receivedAt)
        {
            var issued = ended.Find(l => l.ParentListingId is null) ?? ended[0];
            foreach (var l in ended)
            {
                var eventId = End(l, ListingStatus.Removed, removal.Reason, removal.EffectiveDate);
                if (!ReferenceEquals(l, issued)) continue;
                var s = item.Source!;
                Write.RemovalDeadlines.Add(new RemovalDeadlineRow
                {
                    Id = NewId(now), AgencyCode = s.AgencyCode, SourceRecordId = s.SourceRecordId, Revision = s.Revision, ListingId = l.Id,
                    EventId = eventId, ReceivedAt = receivedAt, Deadline = applier.Calendar.RemovalDeadline(receivedAt),
                });
            }
            AddLedger(item, issued.SubjectId);
        }

        /// <summary>Ends a listing and says so (<see cref="SubjectDelisted"/>); the event's id.</summary>
        public string End(ListingRow listing, string status, string reason, DateOnly endedOn)
        {
            listing.Status = status;
            if (_new.Contains(listing)) { listing.StatusReason = reason; listing.EndedOn = endedOn; listing.SupersededAt = now; }
            else Write.ListingEnds.Add(new ListingEnd(listing.Id, status, reason, endedOn, now));
            var eventId = NewId(now);
            Emit(new SubjectDelisted
            {
                EventId = eventId, HubSubjectId = listing.SubjectId, ListingId = listing.Id, ListType = listing.ListType,
                OriginAgency = listing.OriginAgency, Status = status, Reason = reason, EffectiveDate = endedOn, RecordedAt = now,
            }, listing.SubjectId);
            return eventId;
        }

        /// <summary>Opens a dispute of the listing <paramref name="current"/> (issued and imputed) and marks each disputed.</summary>
        public DisputeRow OpenDispute(Incoming item, DisputeIntent dispute, List<ListingRow> current, DateOnly? reviewDeadline)
        {
            var issued = current.Find(l => l.ParentListingId is null) ?? current[0];
            var row = new DisputeRow
            {
                Id = NewId(now), AgencyCode = dispute.Agency.Code, ListingSourceRecordId = dispute.ListingSourceRecordId,
                SourceRecordId = dispute.Source.SourceRecordId, Revision = dispute.Source.Revision, Kind = dispute.DisputeKind.ToString(),
                SubjectId = issued.SubjectId, ListingId = issued.Id, FiledOn = dispute.FiledOn, ReviewDeadline = reviewDeadline, OpenedAt = now,
            };
            Write.Disputes.Add(row);
            MarkDisputed(row, current);
            AddLedger(item, issued.SubjectId);
            return row;
        }

        /// <summary>Tells subscribers that these listings are disputed by <paramref name="dispute"/>.</summary>
        public void MarkDisputed(DisputeRow dispute, List<ListingRow> listings)
        {
            foreach (var l in listings)
                Emit(new SubjectDisputed
                {
                    EventId = NewId(now), HubSubjectId = l.SubjectId, ListingId = l.Id, ListType = l.ListType, OriginAgency = l.OriginAgency,
                    DisputeId = dispute.Id, DisputeKind = dispute.Kind, FiledOn = dispute.FiledOn, ReviewDeadline = dispute.ReviewDeadline, RecordedAt = now,
                }, l.SubjectId);
        }

        /// <summary>Decides a dispute: each listing it marked hears the outcome, and a revoked listing ends, with the
        /// listings imputed from it, as annulled (in force on no day: it ends on the day it began).</summary>
        public void ResolveDispute(Incoming item, ResolutionIntent resolution, DisputeRow dispute, List<ListingRow> current)
        {
            var outcome = resolution.Outcome.ToString();
            if (Write.Disputes.Contains(dispute))
            {
                dispute.ResolvedAt = now;
                dispute.Outcome = outcome;
                dispute.DecidedOn = resolution.DecidedOn;
                dispute.ResolutionSourceRecordId = resolution.Source.SourceRecordId;
            }
            else Write.DisputeResolutions.Add(new DisputeResolution(dispute.Id, outcome, resolution.DecidedOn, resolution.Source.SourceRecordId, now));
            foreach (var l in current)
                Emit(new SubjectDisputeResolved
                {
                    EventId = NewId(now), HubSubjectId = l.SubjectId, ListingId = l.Id, ListType = l.ListType, OriginAgency = l.OriginAgency,
                    DisputeId = dispute.Id, Outcome = outcome, DecidedOn = resolution.DecidedOn, RecordedAt = now,
                }, l.SubjectId);
            if (resolution.Outcome == DisputeOutcome.Revoked)
                foreach (var l in current)
                    End(l, ListingStatus.Revoked, dispute.Kind, l.ValidFrom);
            AddLedger(item, (current.Find(l => l.ParentListingId is null) ?? current.FirstOrDefault())?.SubjectId ?? dispute.SubjectId);
        }

        /// <summary>Raises a relocation alert for one listing in force tied to a newly registered representative, or
        /// (<paramref name="byName"/>) to a new organisation that has a listed one's name and representative's name.</summary>
        public void Relocation(RegistrationIntent reg, string orgId, string personId, TiedListingRow listing, Domain.Resolution.MatchScore? byName = null)
        {
            var rep = reg.LegalRepresentative;
            // how the representative was found: a whole number decides; a masked one with the name scores 0.95
            var (score, how) = rep.HasFullNumber ? (1.0, "identified by the whole ID number")
                : rep.MaskedNumber is not null ? (0.95, "identified by the masked ID number and the name")
                : (0.9, "named by name: the organisation's known representative of that name");
            var evidence = byName is null
                ? [new RelocationEvidence { Feature = "representative", Weight = score, Detail = $"the representative {how}" }]
                : byName.Evidence.Select(e => new RelocationEvidence { Feature = e.Feature, Weight = e.Weight, Detail = e.Detail }).ToList();
            Emit(new RelocationSuspected
            {
                EventId = NewId(now), HubSubjectId = orgId, OrganizationName = reg.Organization.Name, Province = reg.Agency.ProvinceCode,
                RegisteredBy = reg.Agency.Code, RegisteredOn = reg.RegisteredOn, PersonHubSubjectId = personId, Relation = listing.Relation,
                ListedHubSubjectId = listing.SubjectId, ListingId = listing.Id, ListType = listing.ListType, LegalBasis = listing.LegalBasis,
                OriginAgency = listing.OriginAgency, OriginProvince = listing.OriginProvince, CrossProvince = listing.OriginProvince != reg.Agency.ProvinceCode,
                MatchScore = byName is null ? score : Math.Round(byName.Score, 4), Evidence = evidence,
                RecordedAt = now,
            }, orgId);
            applier.LogRelocation(orgId, reg.Agency.Code, listing.Id, listing.OriginProvince);
        }

        /// <summary>Credit repair ends the listing and the listings imputed from it on the repair's effective date.</summary>
        public void Repair(Incoming item, RepairIntent repair, List<ListingRow> ended)
        {
            foreach (var l in ended)
                End(l, ListingStatus.Repaired, "credit-repair", repair.EffectiveDate);
            AddLedger(item, (ended.Find(l => l.ParentListingId is null) ?? ended[0]).SubjectId);
        }

        public void AddLedger(Incoming item, string subjectId)
        {
            Write.Records.Add(new LedgerRow
            {
                AgencyCode = item.Source!.AgencyCode, SourceRecordId = item.Source.SourceRecordId, Revision = item.Source.Revision,
                Kind = item.Kind, MessageId = item.MessageId, LegalBasis = item.LegalBasis, CatalogueVersion = applier.CatalogueVersion,
                Payload = item.Payload(), ReceivedAt = now,
            });
            Audit(item, "applied", subjectId, null);
        }

        private void Emit<T>(T message, string orderingKey) where T : class
        {
            _stepEvent ??= EventIdOf(message);
            AddOutbox(Write, message, orderingKey, now);
        }
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
    private void AddAudit(IndexWrite w, Incoming item, string outcome, string? subjectId, string? reasonCode, DateTimeOffset now,
        int listings = 0, string? eventId = null)
    {
        // who published it is the agency the transport vouched for, not the one the body names: a spoofed record must
        // not go on record as the court it pretends to be (the detail keeps the code it claimed)
        var agency = TextGuard.Storable(item.PublisherAgency);
        var detail = $"{item.Kind} {TextGuard.Storable(item.Source?.AgencyCode)}/{TextGuard.Storable(item.Source?.SourceRecordId)} revision {item.Source?.Revision}" +
                     (item.MessageId is { } m ? $", message {m}" : "");
        auditSink.Add(w, new Storage.Audit.AuditEntry(now, agency ?? "unknown", agency, "record.apply", null, subjectId,
            reasonCode is null ? outcome : $"{outcome}:{reasonCode}", detail, "bus"));
        if (item.WasHeld) return;
        w.Intake.Add(new IntakeRow
        {
            At = now, SentAt = item.SentAt, AgencyCode = agency, Province = rules.Agencies.Find(agency)?.ProvinceCode, Kind = item.Kind,
            Outcome = outcome, ReasonCode = reasonCode, SubjectId = subjectId, DecisionDate = item.DecisionDate, Listings = listings, EventId = eventId,
        });
    }

    /// <summary>The id of an outbound event, which the relay names when it has gone out.</summary>
    public static string? EventIdOf(object message) => message switch
    {
        SubjectListed m => m.EventId,
        SubjectDelisted m => m.EventId,
        SubjectDisputed m => m.EventId,
        SubjectDisputeResolved m => m.EventId,
        RelocationSuspected m => m.EventId,
        _ => null,
    };

    private static void AddOutbox<T>(IndexWrite w, T message, string orderingKey, DateTimeOffset now) where T : class => w.Outbox.Add(new OutboxRow
    {
        MessageType = typeof(T).Name, Payload = JsonSerializer.Serialize(message, Incoming.Json), CreatedAt = now, OrderingKey = orderingKey,
    });

    private static List<ListingRow> ActiveOf(List<ListingRow> active, (string Agency, string SourceRecordId) key) =>
        active.Where(l => l.OriginAgency == key.Agency && l.SourceRecordId == key.SourceRecordId).ToList();

    private static List<ListingRow> TakeActive(List<ListingRow> active, string agency, string sourceRecordId)
    {
        var taken = active.Where(l => l.OriginAgency == agency && l.SourceRecordId == sourceRecordId).ToList();
        active.RemoveAll(taken.Contains);
        return taken;
    }

    /// <summary>Version 7 ids sort by creation time, which keeps index pages warm.</summary>
    internal static string NewId(DateTimeOffset now) => Guid.CreateVersion7(now).ToString("N");

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied batch of {Count} in {ElapsedMs:0.0} ms: {Applied} applied, {Duplicates} duplicates, {Rejected} rejected, {Held} held")]
    private partial void LogBatch(int count, double elapsedMs, int applied, int duplicates, int rejected, int held);

    [LoggerMessage(Level = LogLevel.Information, Message = "Relocation suspected: organisation {OrganizationId} registered by {Agency}; its representative is tied to listing {ListingId} of province {OriginProvince}")]
    private partial void LogRelocation(string organizationId, string agency, string listingId, string originProvince);

    [LoggerMessage(Level = LogLevel.Information, Message = "Holding removal {AgencyCode}/{SourceRecordId} (message {MessageId}) until its listing {ListingSourceRecordId} arrives, at the latest {Deadline:O}")]
    private partial void LogHeld(string? agencyCode, string? sourceRecordId, string listingSourceRecordId, string? messageId, DateTimeOffset deadline);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying a batch of {Count} failed: {Error}; applying it in halves to find the records that fail alone\n{StackTrace}")]
    private partial void LogIsolating(int count, string error, string? stackTrace);

    [LoggerMessage(Level = LogLevel.Error, Message = "Quarantined {Kind} {AgencyCode}/{SourceRecordId} (message {MessageId}): it fails alone and the rest of its batch applied: {Error}\n{StackTrace}")]
    private partial void LogApplyFailed(string kind, string? agencyCode, string? sourceRecordId, string? messageId, string error, string? stackTrace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quarantined {Kind} {AgencyCode}/{SourceRecordId} (message {MessageId}): {ReasonCode}: {Reason}")]
    private partial void LogRejected(string kind, string? agencyCode, string? sourceRecordId, string? messageId, string reasonCode, string reason);
}
