using System.Text.Encodings.Web;
using Hub.Host.Api;
using Hub.Host.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace Hub.Host.Composition;

/// <summary>
/// The conventions every endpoint follows: JSON as UTF-8 text, every error answer as RFC 9457 problem details with a
/// stable <c>type</c> (<see cref="Problems"/>) — including the ones no endpoint writes itself (no such route, wrong method,
/// a body that does not bind, a failure of the Hub) — and the OpenAPI document built from the endpoints.
/// </summary>
public static class HttpRegistration
{
    public const string OpenApiDocument = "/openapi/v1.json";

    public static WebApplicationBuilder AddHubHttp(this WebApplicationBuilder builder)
    {
        // names are Chinese: send them as UTF-8 text, not \u escapes; and the API's JSON is never embedded in HTML, so
        // apostrophes in error details stay apostrophes
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Customize);
        // a body that does not bind is the caller's 400 in every environment, not an exception (development's default)
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        builder.Services.AddOpenApi(o => OpenApiDescription.Configure(o));
        return builder;
    }

    /// <summary>First in the pipeline: a failure of the Hub, and answers without a body (404, 405, a body that does not
    /// bind), become problem details.</summary>
    public static WebApplication UseHubHttp(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // a disclosure the audit log cannot record is not made: the caller may try again, it is not the Hub's bug
            StatusCodeSelector = ex => ex is AuditUnavailableException ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        return app;
    }

    public static WebApplication MapHubOpenApi(this WebApplication app)
    {
        app.MapOpenApi(OpenApiDocument).AllowAnonymous();
        if (app.Environment.IsDevelopment())
            app.UseSwaggerUI(o =>
            {
                o.SwaggerEndpoint(OpenApiDocument, "The Hub");
                o.RoutePrefix = "api-reference";
                o.DocumentTitle = "The Hub — API reference";
            });
        return app;
    }

    /// <summary>Gives the problems ASP.NET Core writes itself the Hub's stable types and a detail naming what and where;
    /// a failure of the Hub says no more than that it happened and the trace id to find it by in the log.</summary>
    private static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var http = context.HttpContext;
        // a path may hold anything a caller typed, an ID number too
        var where = Hub.Domain.Identifiers.ResidentIdNumber.MaskAllIn($"{http.Request.Method} {http.Request.Path}");
        if (problem.Type is not null && problem.Type.StartsWith(Problems.TypePrefix, StringComparison.Ordinal)) return;
        var (kind, title, detail) = context.Exception is AuditUnavailableException
            ? ("audit-unavailable", "Try again later", "the audit log cannot be written at the moment, so the Hub discloses nothing: try again later")
            : problem.Status switch
        {
            400 => ("invalid-request", "The request cannot be read", "the request cannot be read: check that the body is the JSON this endpoint documents (see /openapi/v1.json) and the query values are well formed"),
            404 => ("not-found", "Not found", $"no endpoint at {where}: see /openapi/v1.json"),
            405 => ("method-not-allowed", "Method not allowed", $"{where.Replace(" ", " is not allowed on ", StringComparison.Ordinal)}{Allowed(http)}"),
            413 => ("too-large", "The request is too large", "the request body is over the limit"),
            415 => ("unsupported-media-type", "Unsupported media type", $"{where} does not read {http.Request.ContentType ?? "a body without Content-Type"}"),
            >= 500 => ("internal", "The Hub failed", $"the Hub failed to answer {where}; the error is logged with trace id {http.TraceIdentifier}"),
            _ => ("error", problem.Title ?? "Error", problem.Detail ?? where),
        };
        problem.Type = Problems.TypePrefix + kind;
        problem.Title = title;
        problem.Detail = problem.Status >= 500 || problem.Detail is null ? detail : problem.Detail;
        problem.Extensions.Remove("exception");
        problem.Extensions["traceId"] = http.TraceIdentifier;
        if (context.Exception is not null) problem.Detail = detail;
    }

    private static string Allowed(HttpContext http)
    {
        var allow = http.Response.Headers.Allow.ToString();
        return allow.Length > 0 ? $"; it takes {allow}" : "";
    }
}
