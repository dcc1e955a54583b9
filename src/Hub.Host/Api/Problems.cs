namespace Hub.Host.Api;

/// <summary>
/// Error answers as RFC 9457 problem details (<c>application/problem+json</c>): a stable <c>type</c> per kind of error,
/// a short title, and a <c>detail</c> naming what and where. Nothing in them is a .NET type name or a whole ID number.
/// </summary>
public static class Problems
{
    public const string TypePrefix = "urn:hub:problem:";

    public static IResult Unauthenticated(string detail) => Make(401, "unauthenticated", "Authentication required", detail);
    public static IResult Forbidden(string detail, string? scope = null) =>
        Make(403, "forbidden", "Not allowed", detail, scope is null ? null : new Dictionary<string, object?> { ["scope"] = scope });
    public static IResult BadRequest(string detail, string? field = null) =>
        Make(400, "invalid-request", "The request cannot be read", detail, field is null ? null : new Dictionary<string, object?> { ["field"] = field });
    public static IResult NotFound(string detail) => Make(404, "not-found", "Not found", detail);
    public static IResult Conflict(string detail) => Make(409, "conflict", "Conflict", detail);
    public static IResult TooLarge(string detail) => Make(413, "too-large", "The request is too large", detail);
    public static IResult UnsupportedMediaType(string detail) => Make(415, "unsupported-media-type", "The body's media type or charset is not one this endpoint reads", detail);
    public static IResult Unavailable(string detail) => Make(503, "unavailable", "Try again later", detail);

    public static IResult Make(int status, string kind, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + kind, extensions: extensions);
}
