using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// Many <see cref="JudgmentDefaulterListed"/> records of one court in one message: the bulk path for large transfers (a
/// court's backlog, an initial load). Each record is applied exactly as if it had come in a message of its own — the same
/// validation, idempotency by (agency, source record id, revision), quarantine and <see cref="RecordRejected"/> — in the
/// order of <see cref="Records"/>. The publisher is vouched for per batch, as for a single record (the AMQP
/// <c>user_id</c>), and every record's <c>source.agencyCode</c> must name that agency. Keep a batch to about 1 MB
/// (500–1,000 records). Exchange <c>hub.judgment-defaulter-listed-batch</c>.
/// </summary>
[MessageUrn("hub:judgment-defaulter-listed-batch:v1")]
[EntityName("hub.judgment-defaulter-listed-batch")]
public sealed record JudgmentDefaulterListedBatch
{
    /// <summary>The records, in the order they are to be applied. Required.</summary>
    public required IReadOnlyList<JudgmentDefaulterListed> Records { get; init; }
}

/// <summary>
/// Many <see cref="AdministrativePenaltyRecorded"/> records of one bureau in one message: the bulk path for a bureau's
/// list. Applied record by record exactly as <see cref="JudgmentDefaulterListedBatch"/>.
/// Exchange <c>hub.administrative-penalty-recorded-batch</c>.
/// </summary>
[MessageUrn("hub:administrative-penalty-recorded-batch:v1")]
[EntityName("hub.administrative-penalty-recorded-batch")]
public sealed record AdministrativePenaltyRecordedBatch
{
    /// <summary>The records, in the order they are to be applied. Required.</summary>
    public required IReadOnlyList<AdministrativePenaltyRecorded> Records { get; init; }
}
