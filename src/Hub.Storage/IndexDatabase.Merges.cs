using System.Data.Common;
using System.Text.Json;
using Dapper;
using Hub.Storage.Audit;

namespace Hub.Storage;

/// <summary>The review queue of possible duplicates, and merging and splitting subjects.</summary>
public sealed partial class IndexDatabase
{
    private static readonly JsonSerializerOptions MergeJson = new(JsonSerializerDefaults.Web);

    /// <summary>Subjects carrying a weak key (a name with a birth date, an organisation's core name).</summary>
    public Task<IReadOnlyList<SubjectRow>> SubjectsByWeakKeyAsync(string scheme, string value, int limit, CancellationToken ct) =>
        QueryAsync<SubjectRow>(_sql.SubjectsByWeakKey, new { Scheme = scheme, Value = value, Limit = limit }, ct, preparing: true);

    public Task<IReadOnlyList<SubjectRow>> PersonsByNameAsync(string normalizedName, int limit, CancellationToken ct) =>
        QueryAsync<SubjectRow>(_sql.PersonsByName, new { Name = normalizedName, Limit = limit }, ct, preparing: true);

    public Task<IReadOnlyList<SubjectRow>> OrganizationsByCoreNameAsync(string coreName, int limit, CancellationToken ct) =>
        QueryAsync<SubjectRow>(_sql.OrganizationsByCoreName, new { Core = coreName, Limit = limit }, ct, preparing: true);

    /// <summary>Organisations that have no core name yet, and gives each one computed by <paramref name="core"/>; the
    /// number given (0 when none is left).</summary>
    public async Task<int> BackfillCoreNamesAsync(Func<string, string> core, int limit, CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        var orgs = (await session.Connection.QueryAsync<SubjectRow>(new CommandDefinition(_sql.OrganizationsWithoutCore, new { Limit = limit },
            session.Transaction, cancellationToken: ct))).AsList();
        if (orgs.Count == 0) return 0;
        await session.Connection.ExecuteAsync(new CommandDefinition(_sql.SetCoreName, orgs.Select(o => new { o.Id, CoreName = core(o.DisplayName) }).ToList(),
            session.Transaction, cancellationToken: ct));
        await session.CommitAsync(ct);
        return orgs.Count;
    }

    /// <summary>Subjects whose stored normalised name still carries a separator that <paramref name="normalize"/> (the
    /// name's normal form) drops, stored before it did, a page after the id <paramref name="after"/>: each gets its name
    /// normalised again from its display name, and its name-with-birth-date key with it, in one transaction. The number
    /// changed (0 when none is left) and the last id, to go on after: a name the function left as it was is not read again.</summary>
    public async Task<(int Count, string? Last)> BackfillNormalizedNamesAsync(Func<string, string> normalize, string? after, int limit, CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        var subjects = (await session.Connection.QueryAsync<SubjectRow>(new CommandDefinition(_sql.SubjectsWithSeparator, new { After = after ?? "", Limit = limit },
            session.Transaction, cancellationToken: ct))).AsList();
        if (subjects.Count == 0) return (0, after);
        var renamed = subjects.Select(s => new { s.Id, NormalizedName = normalize(s.DisplayName) }).ToList();
        await session.Connection.ExecuteAsync(new CommandDefinition(_sql.SetNormalizedName, renamed, session.Transaction, cancellationToken: ct));
        await session.Connection.ExecuteAsync(new CommandDefinition(_sql.SetNameBirthKeys, renamed, session.Transaction, cancellationToken: ct));
        await session.CommitAsync(ct);
        return (subjects.Count, subjects[^1].Id);
    }

    public async Task<MatchReviewRow?> ReviewAsync(string id, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QueryFirstOrDefaultAsync<MatchReviewRow>(new CommandDefinition(_sql.ReviewById, new { Id = id }, cancellationToken: ct));
    }

    public Task<IReadOnlyList<MatchReviewRow>> ReviewsAsync(string status, int limit, CancellationToken ct) =>
        QueryAsync<MatchReviewRow>(_sql.ReviewsByStatus, new { Status = status, Limit = limit }, ct);

    /// <summary>
    /// Records a judgement of a pending review: <c>not-same</c> only marks it; <c>same</c> also merges its new subject
    /// into the known one (<see cref="MergeAsync"/>), in the same transaction. False when the review is not pending.
    /// </summary>
    public async Task<(bool Decided, MergeOutcome? Merge)> DecideReviewAsync(string id, bool same, string by, string? note, AuditEntry audit,
        Func<MergeOutcome, OutboxRow> mergedEvent, CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        var (c, tx) = (session.Connection, session.Transaction);
        var review = await c.QueryFirstOrDefaultAsync<MatchReviewRow>(new CommandDefinition(_sql.ReviewById, new { Id = id }, tx, cancellationToken: ct));
        if (review is not { Status: "pending" }) return (false, null);
        var at = _time.GetUtcNow();
        await c.ExecuteAsync(new CommandDefinition(_sql.DecideReview,
            new { Id = id, Status = same ? "same" : "not-same", At = at, By = by, Note = note, From = "pending" }, tx, cancellationToken: ct));
        MergeOutcome? merged = null;
        if (same) merged = await MergeInAsync(session, review.SubjectA, review.SubjectB, by, id, mergedEvent, ct);
        await session.AppendAuditAsync([audit with { SubjectId = review.SubjectA }], ct);
        await session.CommitAsync(ct);
        return (true, merged);
    }

    /// <summary>Takes a judgement back: a <c>same</c> one splits the merge it made, a <c>not-same</c> one is pending
    /// again. False when the review is pending already.</summary>
    public async Task<(bool Undone, MergeOutcome? Split)> UndoReviewAsync(string id, string by, AuditEntry audit, Func<MergeOutcome, OutboxRow> splitEvent,
        CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        var (c, tx) = (session.Connection, session.Transaction);
        var review = await c.QueryFirstOrDefaultAsync<MatchReviewRow>(new CommandDefinition(_sql.ReviewById, new { Id = id }, tx, cancellationToken: ct));
        if (review is null || review.Status == "pending") return (false, null);
        MergeOutcome? split = null;
        if (review.Status == "same") split = await SplitInAsync(session, review.SubjectB, splitEvent, ct);
        await c.ExecuteAsync(new CommandDefinition(_sql.DecideReview,
            new { Id = id, Status = "pending", At = (DateTimeOffset?)null, By = (string?)null, Note = $"judgement '{review.Status}' taken back by {by}", From = review.Status },
            tx, cancellationToken: ct));
        await session.AppendAuditAsync([audit with { SubjectId = review.SubjectA }], ct);
        await session.CommitAsync(ct);
        return (true, split);
    }

    /// <summary>Merges <paramref name="mergedId"/> into <paramref name="intoId"/> (an operator's decision without a
    /// review). Null when either is unknown, already merged away, they are one, or of different kinds.</summary>
    public async Task<MergeOutcome?> MergeAsync(string intoId, string mergedId, string by, AuditEntry audit, Func<MergeOutcome, OutboxRow> mergedEvent,
        CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        var merged = await MergeInAsync(session, intoId, mergedId, by, null, mergedEvent, ct);
        if (merged is null) return null;
        await session.AppendAuditAsync([audit with { SubjectId = intoId }], ct);
        await session.CommitAsync(ct);
        return merged;
    }

    /// <summary>Splits a merged subject out again. Null when it is not merged away.</summary>
    public async Task<MergeOutcome?> SplitAsync(string mergedId, AuditEntry audit, Func<MergeOutcome, OutboxRow> splitEvent, CancellationToken ct)
    {
        await using var session = await BeginAsync(ct);
        var split = await SplitInAsync(session, mergedId, splitEvent, ct);
        if (split is null) return null;
        await session.AppendAuditAsync([audit with { SubjectId = split.IntoId }], ct);
        await session.CommitAsync(ct);
        return split;
    }

    /// <summary>
    /// Moves the merged subject's listings, strong identifiers, relations and disputes to the other, records what moved (for a
    /// split), sends subjects merged into it before on to the other, and writes the event; in the caller's transaction.
    /// </summary>
    private async Task<MergeOutcome?> MergeInAsync(IndexSession session, string intoId, string mergedId, string by, string? reviewId,
        Func<MergeOutcome, OutboxRow> mergedEvent, CancellationToken ct)
    {
        var (c, tx) = (session.Connection, session.Transaction);
        if (intoId == mergedId) return null;
        var into = await c.QueryFirstOrDefaultAsync<SubjectRow>(new CommandDefinition(_sql.SubjectById, new { Id = intoId }, tx, cancellationToken: ct));
        var gone = await c.QueryFirstOrDefaultAsync<SubjectRow>(new CommandDefinition(_sql.SubjectById, new { Id = mergedId }, tx, cancellationToken: ct));
        if (into is null || gone is null || into.Kind != gone.Kind) return null;
        foreach (var id in new[] { intoId, mergedId })
            if (await c.QueryFirstOrDefaultAsync<string>(new CommandDefinition(_sql.IntoOf, new { Id = id }, tx, cancellationToken: ct)) is not null) return null;

        var args = new { Into = intoId, Merged = mergedId, Strong = true };
        var moved = new MovedRows(
            await Ids(c, tx, "SELECT id FROM listings WHERE subject_id = @Merged", args, ct),
            await Ids(c, tx, "SELECT scheme || '|' || value FROM subject_identifiers WHERE subject_id = @Merged AND strong = @Strong", args, ct),
            await Ids(c, tx, "SELECT id FROM relations WHERE organization_id = @Merged", args, ct),
            await Ids(c, tx, "SELECT id FROM relations WHERE person_id = @Merged", args, ct),
            await Ids(c, tx, "SELECT id FROM disputes WHERE subject_id = @Merged", args, ct));
        var repointed = await Ids(c, tx, "SELECT merged_id FROM subject_merges WHERE into_id = @Merged", args, ct);
        foreach (var sql in new[]
                 {
                     "UPDATE listings SET subject_id = @Into WHERE subject_id = @Merged",
                     // strong identifiers move (every lookup by them must find the survivor); weak ones stay with the
                     // subject they came with, which resolution reads through the merge — a later record with the same
                     // weak key then goes where an operator judged it to belong
                     "UPDATE subject_identifiers SET subject_id = @Into WHERE subject_id = @Merged AND strong = @Strong",
                     "UPDATE relations SET organization_id = @Into WHERE organization_id = @Merged",
                     "UPDATE relations SET person_id = @Into WHERE person_id = @Merged",
                     "UPDATE disputes SET subject_id = @Into WHERE subject_id = @Merged",
                     "UPDATE subject_merges SET into_id = @Into WHERE into_id = @Merged",
                 })
            await c.ExecuteAsync(new CommandDefinition(sql, args, tx, cancellationToken: ct));
        var at = _time.GetUtcNow();
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO subject_merges (merged_id, into_id, merged_at, merged_by, review_id, repointed, moved)
            VALUES (@MergedId, @IntoId, @MergedAt, @MergedBy, @ReviewId, @Repointed, @Moved)
            """, new SubjectMergeRow
        {
            MergedId = mergedId, IntoId = intoId, MergedAt = at, MergedBy = by, ReviewId = reviewId, Repointed = string.Join('\n', repointed),
            Moved = JsonSerializer.Serialize(moved, MergeJson),
        }, tx, cancellationToken: ct));
        var outcome = new MergeOutcome(intoId, mergedId, moved.Listings);
        await session.WriteAsync(new IndexWrite(at) { Outbox = { mergedEvent(outcome) } }, ct);
        return outcome;
    }

    /// <summary>Moves back what the merge moved, sends on to the restored subject those merged into it before, and
    /// writes the event. What was recorded about the merged pair while they were one stays with the survivor.</summary>
    private async Task<MergeOutcome?> SplitInAsync(IndexSession session, string mergedId, Func<MergeOutcome, OutboxRow> splitEvent, CancellationToken ct)
    {
        var (c, tx) = (session.Connection, session.Transaction);
        var merge = await c.QueryFirstOrDefaultAsync<SubjectMergeRow>(new CommandDefinition(_sql.MergeOf, new { Id = mergedId }, tx, cancellationToken: ct));
        if (merge is null) return null;
        var moved = JsonSerializer.Deserialize<MovedRows>(merge.Moved, MergeJson)!;
        var back = new { Into = merge.IntoId, Merged = mergedId };
        async Task Back(string sql, IReadOnlyList<string> ids)
        {
            foreach (var chunk in ids.Chunk(500))
                await c.ExecuteAsync(new CommandDefinition(sql.Replace("{ids}", _dialect.InList("Ids"), StringComparison.Ordinal),
                    new { back.Into, back.Merged, Ids = chunk }, tx, cancellationToken: ct));
        }
        await Back("UPDATE listings SET subject_id = @Merged WHERE subject_id = @Into AND id {ids}", moved.Listings);
        await Back("UPDATE subject_identifiers SET subject_id = @Merged WHERE subject_id = @Into AND (scheme || '|' || value) {ids}", moved.Identifiers);
        await Back("UPDATE relations SET organization_id = @Merged WHERE organization_id = @Into AND id {ids}", moved.OrganizationRelations);
        await Back("UPDATE relations SET person_id = @Merged WHERE person_id = @Into AND id {ids}", moved.PersonRelations);
        await Back("UPDATE disputes SET subject_id = @Merged WHERE subject_id = @Into AND id {ids}", moved.Disputes);
        await Back("UPDATE subject_merges SET into_id = @Merged WHERE into_id = @Into AND merged_id {ids}",
            merge.Repointed.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM subject_merges WHERE merged_id = @Id", new { Id = mergedId }, tx, cancellationToken: ct));
        var outcome = new MergeOutcome(merge.IntoId, mergedId, moved.Listings);
        await session.WriteAsync(new IndexWrite(_time.GetUtcNow()) { Outbox = { splitEvent(outcome) } }, ct);
        return outcome;
    }

    private static async Task<IReadOnlyList<string>> Ids(DbConnection c, DbTransaction tx, string sql, object args, CancellationToken ct) =>
        (await c.QueryAsync<string>(new CommandDefinition(sql, args, tx, cancellationToken: ct))).AsList();
}
