using System.Text.Json;
using Hub.Contracts;

namespace Hub.Aggregator.Applying;

/// <summary>One inbound message as the aggregator applies it: the contract, its bus message id, and its JSON for the ledger.</summary>
public sealed record Incoming(string? MessageId, object Message)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Kind => Message.GetType().Name;

    public SourceStamp? Source => Message switch
    {
        JudgmentDefaulterListed m => m.Source,
        JudgmentDefaulterRemoved m => m.Source,
        AdministrativePenaltyRecorded m => m.Source,
        OrganizationRegistered m => m.Source,
        _ => null,
    };

    public string LegalBasis => Message switch
    {
        JudgmentDefaulterListed m => m.LegalBasis,
        JudgmentDefaulterRemoved m => m.LegalBasis,
        AdministrativePenaltyRecorded m => m.LegalBasis,
        OrganizationRegistered m => m.LegalBasis,
        _ => "",
    } ?? "";

    public string Payload() => JsonSerializer.Serialize(Message, Message.GetType(), Json);
}

/// <summary>What a batch did, for metrics and logs.</summary>
public sealed record BatchOutcome(int Applied, int Duplicates, int Rejected)
{
    public static BatchOutcome operator +(BatchOutcome a, BatchOutcome b) =>
        new(a.Applied + b.Applied, a.Duplicates + b.Duplicates, a.Rejected + b.Rejected);
}
