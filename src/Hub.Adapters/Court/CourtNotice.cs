using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hub.Adapters.Court;

/// <summary>
/// A judgment-defaulter notice in the field names courts already publish (the public portal's format), plus the few
/// fields a court's own push adds: <c>id</c>, <c>revision</c>, <c>legalBasis</c>, <c>businessEntityCardNum</c>, <c>listedUntil</c>.
/// Values come as strings or numbers; the mapper reads both.
/// </summary>
public sealed class CourtNotice
{
    [JsonPropertyName("id")] public JsonElement? Id { get; set; }
    [JsonPropertyName("revision")] public JsonElement? Revision { get; set; }
    [JsonPropertyName("iname")] public string? Name { get; set; }
    [JsonPropertyName("caseCode")] public string? CaseCode { get; set; }
    [JsonPropertyName("cardNum")] public string? CardNumber { get; set; }
    [JsonPropertyName("businessEntity")] public string? LegalRepresentative { get; set; }
    [JsonPropertyName("businessEntityCardNum")] public string? LegalRepresentativeCardNumber { get; set; }
    [JsonPropertyName("courtName")] public string? CourtName { get; set; }
    [JsonPropertyName("areaName")] public string? AreaName { get; set; }
    [JsonPropertyName("gistId")] public string? BasisDocumentNumber { get; set; }
    [JsonPropertyName("gistUnit")] public string? BasisIssuingUnit { get; set; }
    [JsonPropertyName("duty")] public string? Obligation { get; set; }
    [JsonPropertyName("performance")] public string? Performance { get; set; }
    [JsonPropertyName("performedPart")] public JsonElement? PerformedPart { get; set; }
    [JsonPropertyName("unperformPart")] public JsonElement? UnperformedPart { get; set; }
    [JsonPropertyName("disruptTypeName")] public string? DisruptTypeName { get; set; }
    [JsonPropertyName("legalBasis")] public string? LegalBasis { get; set; }
    [JsonPropertyName("regDate")] public JsonElement? RegDate { get; set; }
    [JsonPropertyName("publishDate")] public JsonElement? PublishDate { get; set; }
    [JsonPropertyName("listedUntil")] public JsonElement? ListedUntil { get; set; }
    [JsonPropertyName("sexy")] public string? Sex { get; set; }
    [JsonPropertyName("age")] public JsonElement? Age { get; set; }
    [JsonPropertyName("type")] public JsonElement? Type { get; set; }
}

/// <summary>A court's removal notice: which of its listings comes off the list, why and from when.</summary>
public sealed class CourtRemovalNotice
{
    [JsonPropertyName("id")] public JsonElement? Id { get; set; }
    [JsonPropertyName("revision")] public JsonElement? Revision { get; set; }
    [JsonPropertyName("listingId")] public JsonElement? ListingId { get; set; }
    [JsonPropertyName("legalBasis")] public string? LegalBasis { get; set; }
    [JsonPropertyName("disruptTypeName")] public string? DisruptTypeName { get; set; }
    [JsonPropertyName("reason")] public string? Reason { get; set; }
    [JsonPropertyName("effectiveDate")] public JsonElement? EffectiveDate { get; set; }
}

/// <summary>A correction request or appeal the court received about a listing it posted: <c>listingId</c> is the
/// <c>id</c> the listing was posted under; <c>kind</c> <c>CorrectionRequest</c> (default) or <c>Appeal</c>.</summary>
public sealed class CourtDisputeNotice
{
    [JsonPropertyName("id")] public JsonElement? Id { get; set; }
    [JsonPropertyName("revision")] public JsonElement? Revision { get; set; }
    [JsonPropertyName("listingId")] public JsonElement? ListingId { get; set; }
    [JsonPropertyName("legalBasis")] public string? LegalBasis { get; set; }
    [JsonPropertyName("disruptTypeName")] public string? DisruptTypeName { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("filedOn")] public JsonElement? FiledOn { get; set; }
}

/// <summary>The court's decision of a dispute: <c>disputeId</c> is the <c>id</c> the dispute was posted under;
/// <c>outcome</c> <c>Upheld</c>, <c>Corrected</c> or <c>Revoked</c>.</summary>
public sealed class CourtDisputeDecision
{
    [JsonPropertyName("id")] public JsonElement? Id { get; set; }
    [JsonPropertyName("revision")] public JsonElement? Revision { get; set; }
    [JsonPropertyName("listingId")] public JsonElement? ListingId { get; set; }
    [JsonPropertyName("disputeId")] public JsonElement? DisputeId { get; set; }
    [JsonPropertyName("legalBasis")] public string? LegalBasis { get; set; }
    [JsonPropertyName("disruptTypeName")] public string? DisruptTypeName { get; set; }
    [JsonPropertyName("outcome")] public string? Outcome { get; set; }
    [JsonPropertyName("decidedOn")] public JsonElement? DecidedOn { get; set; }
}
