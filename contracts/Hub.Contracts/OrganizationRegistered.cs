using MassTransit;

namespace Hub.Contracts;

/// <summary>
/// A market regulator registered an organisation (or re-registered it with new particulars).
/// Exchange <c>hub.organization-registered</c>.
/// </summary>
[MessageUrn("hub:organization-registered:v1")]
[EntityName("hub.organization-registered")]
public sealed record OrganizationRegistered
{
    /// <summary>Who sent it. Required.</summary>
    public required SourceStamp Source { get; init; }

    /// <summary>Legal-basis code for registration data, <c>MKT-REG</c>. Required.</summary>
    public required string LegalBasis { get; init; }

    /// <summary>The registered organisation, with its USCC. Required.</summary>
    public required SubjectReference Organization { get; init; }

    /// <summary>Its legal representative. Required.</summary>
    public required SubjectReference LegalRepresentative { get; init; }

    /// <summary>Date of registration. Required.</summary>
    public required DateOnly RegisteredOn { get; init; }
}
