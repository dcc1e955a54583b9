namespace Hub.Storage;

/// <summary>When the Hub last received a record of one agency (applied, duplicate or quarantined).</summary>
public sealed class AgencyLastRecordRow
{
    public string AgencyCode { get; set; } = "";
    public DateTimeOffset LastAt { get; set; }
}

/// <summary>What <c>GET /metrics</c> reads from the index besides the console's figures.</summary>
public sealed partial class IndexDatabase
{
    /// <summary>
    /// Per agency, the latest <c>received_at</c> in the ledger and in quarantine. The ledger has no index on it, so this
    /// reads every record once: the metrics read it once per process and then follow the aggregator's own arrivals.
    /// </summary>
    public Task<IReadOnlyList<AgencyLastRecordRow>> LastRecordPerAgencyAsync(CancellationToken ct) =>
        QueryAsync<AgencyLastRecordRow>("""
            SELECT agency_code, MAX(last_at) AS last_at FROM (
                SELECT agency_code, MAX(received_at) AS last_at FROM records GROUP BY agency_code
                UNION ALL
                SELECT agency_code, MAX(received_at) AS last_at FROM quarantine WHERE agency_code IS NOT NULL GROUP BY agency_code) arrivals
            GROUP BY agency_code
            """, new { }, ct);
}
