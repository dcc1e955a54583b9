using Hub.Storage;
using Hub.Storage.Audit;

namespace Hub.Aggregator.Applying;

/// <summary>Where the aggregator puts each record's audit entry. The Hub's own sink is <see cref="BatchAuditSink"/>; the
/// seam exists so that the benchmark can measure what auditing costs (<c>bench --audit-costs</c>), never to turn it off.</summary>
public interface IRecordAuditSink
{
    void Add(IndexWrite write, AuditEntry entry);
}

/// <summary>Into the batch's own write: the entry commits with the batch it describes, or not at all.</summary>
public sealed class BatchAuditSink : IRecordAuditSink
{
    public void Add(IndexWrite write, AuditEntry entry) => write.Audit.Add(entry);
}
