using System.Text.Json.Nodes;
using Hub.Host.Security;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hub.Host.Composition;

/// <summary>
/// What the generated OpenAPI document says beyond the endpoints' own metadata: who may call (the API key header, the
/// client certificate, and each operation's scope), the 401/403 answers every protected operation has, and examples in
/// the agencies' own field names. The committed copy is <c>docs/openapi.json</c>; a test keeps the two equal.
/// </summary>
internal static class OpenApiDescription
{
    private const string ApiKeyScheme = "apiKey";
    private const string CertificateScheme = "clientCertificate";

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "The Hub",
                Version = "v1",
                Description = "Data-sharing hub between government agencies. Courts post judgment-defaulter notices; agencies and staff look " +
                              "subjects up. Every /api operation needs an authenticated caller holding the scope it names: an API key in " +
                              "the X-Api-Key header, or a client certificate from the Hub's authority (mutual TLS). Errors are problem details " +
                              "(application/problem+json) with a stable `type` (urn:hub:problem:…).",
            };
            document.Servers?.Clear();
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = HubAuthenticationHandler.ApiKeyHeader,
                Description = "An API key the Hub made for an agency or a member of staff (hub keys add).",
            };
            document.Components.SecuritySchemes[CertificateScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.MutualTLS,
                Description = "A client certificate from the Hub's authority naming the agency (SAN URI urn:hub:principal:CODE, or CN).",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var required = context.Description.ActionDescriptor.EndpointMetadata.OfType<RequiredScope>().FirstOrDefault();
            if (required is null) return Task.CompletedTask;
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(CertificateScheme, context.Document)] = [] },
            ];
            var who = required.Scope is null ? "any authenticated caller" : $"a caller holding the scope `{required.Scope}`";
            if (required.OwnAgencyRouteValue is { } own) who += $", and only for its own agency (`{{{own}}}` is the caller's agency code)";
            operation.Description = (operation.Description is { Length: > 0 } d ? d + "\n\n" : "") + $"Needs {who}.";
            operation.Responses ??= new OpenApiResponses();
            operation.Responses.TryAdd("401", Problem("No credentials, or credentials the Hub does not accept (the detail says which)."));
            operation.Responses.TryAdd("403", Problem(required.OwnAgencyRouteValue is null
                ? "The caller lacks the scope; the detail and `scope` name it."
                : "The caller lacks the scope, or the route names another agency; the detail says which."));
            return Task.CompletedTask;
        });
    }

    private static OpenApiResponse Problem(string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() },
    };

    /// <summary>A court notice in the public portal's field names, as courts already publish them.</summary>
    public static JsonNode CourtNoticeExample() => new JsonArray(new JsonObject
    {
        ["id"] = "LA-2026-1194-1",
        ["iname"] = "安徽皖东建设工程有限公司",
        ["caseCode"] = "(2026)皖1122执1194号",
        ["cardNum"] = "9134112215678901XC",
        ["businessEntity"] = "王建国",
        ["businessEntityCardNum"] = "34112219780512361X",
        ["courtName"] = "来安县人民法院",
        ["areaName"] = "安徽",
        ["gistId"] = "(2025)皖1122民初2231号",
        ["gistUnit"] = "来安县人民法院",
        ["duty"] = "支付工程款人民币1,250,000元及利息",
        ["performance"] = "全部未履行",
        ["unperformPart"] = "1250000",
        ["disruptTypeName"] = "违反财产报告制度",
        ["regDate"] = "20260611",
        ["publishDate"] = "20260701",
    });

    public static JsonNode RemovalExample() => new JsonArray(new JsonObject
    {
        ["id"] = "LA-2026-1194-R", ["listingId"] = "LA-2026-1194-1", ["legalBasis"] = "JD-4", ["reason"] = "Performed", ["effectiveDate"] = "2026-09-01",
    });

    public static JsonNode DisputeExample() => new JsonArray(new JsonObject
    {
        ["id"] = "LA-2026-1194-D", ["listingId"] = "LA-2026-1194-1", ["legalBasis"] = "JD-4", ["kind"] = "CorrectionRequest", ["filedOn"] = "2026-11-20",
    });

    public static JsonNode DisputeDecisionExample() => new JsonArray(new JsonObject
    {
        ["id"] = "LA-2026-1194-DR", ["listingId"] = "LA-2026-1194-1", ["disputeId"] = "LA-2026-1194-D", ["legalBasis"] = "JD-4", ["outcome"] = "Upheld",
        ["decidedOn"] = "2026-12-01",
    });
}
