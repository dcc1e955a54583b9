namespace Hub.Aggregator.Consumers;

/// <summary>
/// The broker users whose <see cref="Contracts.AuditRecorded"/> messages the aggregator appends to the audit log: this
/// process's own connection user and the Hub's adapter user (<c>Hub:Bus:AuditPublishers</c>, default <c>hub-adapter</c>).
/// Exchange permissions cannot keep an agency away: MassTransit picks the consumer by the envelope's message type, so
/// an agency could send an <c>AuditRecorded</c> through its own exchange — the validated <c>user_id</c> is what counts,
/// and a message without one is refused. The same users are the Hub's own for <see cref="VouchedPublisher"/>: on their
/// messages alone the publisher the Hub vouches for in a header is believed.
/// </summary>
public sealed class AuditPublishers(string? ownUser, IEnumerable<string> users)
{
    private readonly HashSet<string> _users = [.. users.Where(u => !string.IsNullOrWhiteSpace(u)), .. ownUser is null ? [] : new[] { ownUser }];

    /// <summary>This process's own broker user (null on the in-memory transport): what its own audit messages carry as user_id.</summary>
    public string? OwnUser { get; } = ownUser;

    public bool Allows(string? brokerUser) => brokerUser is not null && _users.Contains(brokerUser);

    public static AuditPublishers InMemory { get; } = new(null, []);
}

/// <summary>An <see cref="Contracts.AuditRecorded"/> from a publisher the Hub does not take audit entries from: refused
/// at once (never retried), to the error queue, where operators see it.</summary>
public sealed class RefusedAuditException(string message) : Exception(message);
