using Hub.Contracts;
using Hub.Domain.Catalogue;

namespace Hub.Domain.Intake;

/// <summary>A validated record that puts a subject on a list (a judgment-defaulter notice or a serious penalty).</summary>
public sealed record ListingIntent(
    string Kind,
    SourceStamp Source,
    Agency Agency,
    LegalBasis Basis,
    string Reference,
    SubjectKeys Subject,
    SubjectKeys? LegalRepresentative,
    DateOnly ValidFrom,
    DateOnly? ValidUntil);

/// <summary>A validated record that ends the listing the same agency sent as <see cref="ListingSourceRecordId"/>.</summary>
public sealed record RemovalIntent(
    string Kind,
    SourceStamp Source,
    Agency Agency,
    LegalBasis Basis,
    string ListingSourceRecordId,
    string Reason,
    DateOnly EffectiveDate);

/// <summary>A validated registration: an organisation and its legal representative.</summary>
public sealed record RegistrationIntent(
    string Kind,
    SourceStamp Source,
    Agency Agency,
    LegalBasis Basis,
    SubjectKeys Organization,
    SubjectKeys LegalRepresentative,
    DateOnly RegisteredOn);

/// <summary>A validated dispute of the listing the same agency sent as <see cref="ListingSourceRecordId"/>.</summary>
public sealed record DisputeIntent(
    string Kind,
    SourceStamp Source,
    Agency Agency,
    LegalBasis Basis,
    string ListingSourceRecordId,
    DisputeKind DisputeKind,
    DateOnly FiledOn);

/// <summary>A validated decision of the dispute the same agency sent as <see cref="DisputeSourceRecordId"/>.</summary>
public sealed record ResolutionIntent(
    string Kind,
    SourceStamp Source,
    Agency Agency,
    LegalBasis Basis,
    string ListingSourceRecordId,
    string DisputeSourceRecordId,
    DisputeOutcome Outcome,
    DateOnly DecidedOn);

/// <summary>A validated grant of credit repair for the listing the same agency sent as <see cref="ListingSourceRecordId"/>;
/// whether the listing has been public long enough is for the applier, which sees the listing.</summary>
public sealed record RepairIntent(
    string Kind,
    SourceStamp Source,
    Agency Agency,
    LegalBasis Basis,
    string ListingSourceRecordId,
    DateOnly GrantedOn,
    DateOnly EffectiveDate);
