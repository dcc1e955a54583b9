namespace Hub.Host.Metrics;

/// <summary>Configuration section <c>Hub:Metrics</c>: the Prometheus scrape endpoint <c>GET /metrics</c>.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Hub:Metrics";

    /// <summary>Serve <c>/metrics</c> (scope <c>metrics:read</c>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The figures read from the broker and the index (queue depths, outbox, quarantine, heartbeats) are read
    /// again at a scrape only when older than this: scrapes more often than this cost no broker or database call.</summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest a scrape waits for those figures; what is not read by then is left out of that scrape.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
