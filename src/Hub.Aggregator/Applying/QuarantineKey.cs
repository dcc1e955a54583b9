namespace Hub.Aggregator.Applying;

/// <summary>
/// What makes a refused record the same record again in quarantine: the agency that published it, its source record id,
/// revision and kind, as stored. While its row waits (not released), the record refused again keeps that row; the
/// unique index <c>ux_quarantine_waiting</c> holds the same rule in the database. A record without one (no publisher
/// anyone vouches for, no source record id, or one of spaces only) gets a row of its own every time: nothing tells two
/// such records apart.
/// </summary>
internal readonly record struct QuarantineKey(string AgencyCode, string SourceRecordId, int Revision, string Kind)
{
    /// <summary>The key of values as stored; null when they make none. Spaces only, because that is what the index's
    /// <c>trim(source_record_id) &lt;&gt; ''</c> strips on both dialects.</summary>
    public static QuarantineKey? Of(string? agencyCode, string? sourceRecordId, int? revision, string kind) =>
        agencyCode is not null && sourceRecordId is not null && sourceRecordId.Trim(' ').Length > 0 && revision is { } r
            ? new QuarantineKey(agencyCode, sourceRecordId, r, kind)
            : null;
}
