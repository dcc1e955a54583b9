using System.Text.Json.Serialization;

namespace Hub.Contracts;

/// <summary>Whether a subject is an organisation or a natural person. On the wire: <c>"Organization"</c> or <c>"Person"</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SubjectKind>))]
public enum SubjectKind
{
    /// <summary>A company or other registered organisation (identified by USCC).</summary>
    Organization,
    /// <summary>A natural person (identified by resident ID number).</summary>
    Person,
}

/// <summary>
/// What the source knows about the subject of a record. The Hub resolves it to one subject of its index
/// by the strongest identifier given; send every identifier you have.
/// </summary>
public sealed record SubjectReference
{
    /// <summary>Organisation or person. Required.</summary>
    public required SubjectKind Kind { get; init; }

    /// <summary>Name as the source writes it (full-width characters and bracket styles are normalised by the Hub). Required.</summary>
    public required string Name { get; init; }

    /// <summary>Unified Social Credit Code (18 characters, GB 32100-2015). Organisations; may be missing for old records.</summary>
    public string? Uscc { get; init; }

    /// <summary>Legacy organisation code (9 characters, GB 11714; a hyphen before the check character is accepted). Organisations; optional.</summary>
    public string? OrganizationCode { get; init; }

    /// <summary>Resident identity number (18 characters, or 15 for the first generation). Persons.
    /// A publicly masked number (digits 11–14 as <c>****</c>) is accepted as a weak key.</summary>
    public string? ResidentIdNumber { get; init; }

    /// <summary>GB/T 2260 region code (6 digits) of the subject's registration or residence; optional.</summary>
    public string? RegionCode { get; init; }

    /// <summary>Birth date of a person, when known; optional.</summary>
    public DateOnly? BirthDate { get; init; }
}
