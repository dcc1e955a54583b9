using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// Hub-internal: the sign of life of a Hub process without an index database of its own (the court adapter running
/// alone), sent every <c>Hub:Console:HeartbeatInterval</c> and expiring unread after <c>Hub:Console:SilentAfter</c>; the
/// aggregator records it as the process's heartbeat row, which the operator console shows. Only the Hub's own broker users
/// may publish it (agencies have no write permission on <c>hub.heartbeat</c>). Exchange <c>hub.heartbeat</c>.
/// </summary>
[MessageUrn("hub:heartbeat:v1")]
[EntityName("hub.heartbeat")]
public sealed record HubHeartbeat
{
    /// <summary>The process's own id, the same in every beat it sends.</summary>
    public required string InstanceId { get; init; }

    /// <summary>What it runs, comma-separated: e.g. <c>court-adapter</c>.</summary>
    public required string Services { get; init; }

    /// <summary>The machine it runs on.</summary>
    public required string Host { get; init; }

    /// <summary>The build it runs.</summary>
    public required string Version { get; init; }

    /// <summary>Its operating-system process id.</summary>
    public required int ProcessId { get; init; }

    /// <summary>When it started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it sent this beat (UTC).</summary>
    public required DateTimeOffset SentAt { get; init; }
}
