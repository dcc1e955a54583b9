using Hub.Domain.Access;
using Hub.Domain.Catalogue;
using Hub.Host.Composition;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;

namespace Hub.Host.Security;

public static class SecurityRegistration
{
    /// <summary>The access policy, authentication (client certificates, API keys), scope authorization and the audit trail.
    /// Needs <see cref="IndexRegistration.AddHubIndex"/> (agency registry, index database).</summary>
    public static WebApplicationBuilder AddHubSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        services.AddSingleton(sp =>
        {
            var file = sp.GetRequiredService<IOptions<CatalogueOptions>>().Value.AccessFile;
            var agencies = sp.GetRequiredService<AgencyRegistry>();
            return file is null ? AccessPolicy.Embedded(agencies) : AccessPolicy.Load(File.ReadAllText(file), agencies);
        });
        if (IndexRegistration.HasIndex(builder.Configuration))
        {
            services.AddSingleton<ApiKeyService>();
            services.AddSingleton<AuditTrail>();
            services.AddSingleton<IAuditTrail>(sp => sp.GetRequiredService<AuditTrail>());
            services.AddHostedService(sp => sp.GetRequiredService<AuditTrail>());
            // after the migrator (registered by AddHubIndex): the key table must exist
            services.AddHostedService<ApiKeyBootstrap>();
        }
        else
        {
            // no index here: API keys cannot be checked (client certificates only), and audit entries go to the aggregator
            services.AddSingleton<BusAuditTrail>();
            services.AddSingleton<IAuditTrail>(sp => sp.GetRequiredService<BusAuditTrail>());
            services.AddHostedService(sp => sp.GetRequiredService<BusAuditTrail>());
        }
        services.AddAuthentication(HubAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, HubAuthenticationHandler>(HubAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddSingleton<IAuthorizationHandler, RequiredScopeHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuditedAuthorizationResultHandler>();
        builder.AddHubClientCertificates();
        return builder;
    }

    public static WebApplication UseHubSecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
