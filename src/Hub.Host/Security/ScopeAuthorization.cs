using Hub.Domain.Access;
using Hub.Host.Api;
using Hub.Storage.Audit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Hub.Host.Security;

/// <summary>The scope an endpoint needs (null: any authenticated caller), and the route value that must name the
/// caller's own agency, if any. Every <c>/api</c> endpoint carries one (a test enforces it).</summary>
public sealed record RequiredScope(string? Scope, string? OwnAgencyRouteValue) : IAuthorizationRequirement;

public static class ScopeEndpoints
{
    /// <summary>The endpoint answers only callers holding <paramref name="scope"/>; with <paramref name="ownAgency"/>, only
    /// when that route value is the caller's own agency code. Otherwise 401 or 403, naming what is missing, audited.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string? scope, string? ownAgency = null) where TBuilder : IEndpointConventionBuilder
    {
        var requirement = new RequiredScope(scope, ownAgency);
        builder.WithMetadata(requirement);
        return builder.RequireAuthorization(new AuthorizationPolicyBuilder(HubAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser().AddRequirements(requirement).Build());
    }
}

internal sealed class RequiredScopeHandler : AuthorizationHandler<RequiredScope>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RequiredScope requirement)
    {
        if (context.User.Identity is not HubIdentity { Caller: var caller }) return Task.CompletedTask;
        if (requirement.Scope is { } scope && !caller.Has(scope))
        {
            context.Fail(new AuthorizationFailureReason(this, $"this needs the scope '{scope}', which {caller.Principal} does not hold"));
            return Task.CompletedTask;
        }
        if (requirement.OwnAgencyRouteValue is { } key)
        {
            var named = (context.Resource as HttpContext)?.GetRouteValue(key)?.ToString() ?? "";
            if (!caller.Is(named))
            {
                context.Fail(new AuthorizationFailureReason(this,
                    $"you are authenticated as {caller.Principal}; you may not act for agency '{named}'"));
                return Task.CompletedTask;
            }
        }
        context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>Writes 401 and 403 as problem details naming what is missing, and puts every refusal on the audit log.</summary>
internal sealed class AuditedAuthorizationResultHandler(IAuditTrail audit, TimeProvider time) : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Succeeded)
        {
            await next(context);
            return;
        }
        var required = context.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>();
        var caller = context.CallerOrNull();
        string reason;
        IResult answer;
        if (result.Challenged || caller is null)
        {
            reason = context.Items[HubAuthenticationHandler.FailureItem] as string
                     ?? $"no credentials: send an API key in the {HubAuthenticationHandler.ApiKeyHeader} header or a client certificate";
            answer = Problems.Unauthenticated(reason);
            context.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{HubAuthenticationHandler.ApiKeyHeader}\"";
        }
        else
        {
            reason = string.Join("; ", result.AuthorizationFailure?.FailureReasons.Select(r => r.Message) ?? []);
            if (reason.Length == 0) reason = "not allowed";
            answer = Problems.Forbidden(reason, required?.Scope);
        }
        audit.Enqueue(new AuditEntry(time.GetUtcNow(), caller?.Principal ?? "anonymous", caller?.AgencyCode,
            $"{context.Request.Method} {(context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value}",
            required?.Scope, null, result.Challenged || caller is null ? "refused-unauthenticated" : "refused-forbidden",
            $"{reason}; from {context.Connection.RemoteIpAddress}", "http"));
        await answer.ExecuteAsync(context);
    }
}
