using System.Text.Json.Serialization;
using MassTransit;

namespace Hub.Contracts;

/// <summary>Field of an administrative penalty. On the wire: the member name as a string.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PenaltyCategory>))]
public enum PenaltyCategory
{
    /// <summary>Food safety.</summary>
    FoodSafety,
    /// <summary>Labour law, including wage arrears.</summary>
    Labour,
    /// <summary>Environmental protection.</summary>
    Environment,
    /// <summary>Market regulation.</summary>
    Market,
    /// <summary>Taxation.</summary>
    Tax,
    /// <summary>Work safety.</summary>
    WorkSafety,
}

/// <summary>Severity of a penalty as the issuing bureau classified it. On the wire: the member name as a string.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PenaltySeverity>))]
public enum PenaltySeverity
{
    /// <summary>An ordinary penalty: public for a shorter period, no list.</summary>
    Ordinary,
    /// <summary>A serious violation: may put the subject on a serious-dishonesty list.</summary>
    Serious,
}

/// <summary>
/// A bureau decided an administrative penalty. Serious ones put the subject on the bureau's
/// serious-dishonesty list when the catalogue says so. Exchange <c>hub.administrative-penalty-recorded</c>.
/// </summary>
[MessageUrn("hub:administrative-penalty-recorded:v1")]
[EntityName("hub.administrative-penalty-recorded")]
public sealed record AdministrativePenaltyRecorded
{
    /// <summary>Who sent it. Required.</summary>
    public required SourceStamp Source { get; init; }

    /// <summary>Legal-basis code from the catalogue, e.g. <c>FOOD-SERIOUS</c>, <c>WAGE-ARREARS</c>, <c>ENV-SERIOUS</c>. Required.</summary>
    public required string LegalBasis { get; init; }

    /// <summary>The penalty decision's document number. Required.</summary>
    public required string DecisionNumber { get; init; }

    /// <summary>Field of the penalty. Required.</summary>
    public required PenaltyCategory Category { get; init; }

    /// <summary>Ordinary or serious. Required.</summary>
    public required PenaltySeverity Severity { get; init; }

    /// <summary>The facts found, as the bureau words them; optional.</summary>
    public string? Facts { get; init; }

    /// <summary>The penalty imposed, as the bureau words it; optional.</summary>
    public string? Penalty { get; init; }

    /// <summary>The penalised subject. Required.</summary>
    public required SubjectReference Subject { get; init; }

    /// <summary>Legal representative of a penalised organisation; optional.</summary>
    public SubjectReference? LegalRepresentative { get; init; }

    /// <summary>Date of the decision. Required; publicity periods count from it.</summary>
    public required DateOnly DecisionDate { get; init; }

    /// <summary>Last day of publicity when the bureau fixed one; missing means the catalogue's default term.</summary>
    public DateOnly? PublicUntil { get; init; }
}
