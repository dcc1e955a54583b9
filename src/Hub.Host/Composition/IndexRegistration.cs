using Hub.Domain.Catalogue;
using Hub.Domain.Intake;
using Hub.Domain.Lifecycle;
using Hub.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Hub.Host.Composition;

/// <summary>Configuration section <c>Hub:Catalogue</c>: replace the shipped catalogue or agency list with files.</summary>
public sealed class CatalogueOptions
{
    public const string Section = "Hub:Catalogue";
    public string? LegalBasisFile { get; set; }
    public string? AgenciesFile { get; set; }

    /// <summary>The subscriptions declared as data; the shipped <c>subscriptions.json</c> (none) when not set.</summary>
    public string? SubscriptionsFile { get; set; }

    /// <summary>Who may do what (scopes by agency kind, grants, roles); the shipped <c>access.json</c> when not set.</summary>
    public string? AccessFile { get; set; }

    /// <summary>The working-day calendar (weekends, public holidays, adjusted working weekends) removal deadlines count
    /// in; the shipped <c>calendar.json</c> when not set.</summary>
    public string? CalendarFile { get; set; }

    /// <summary>The joint-sanctions catalogue (measures, who enforces them, which list triggers which measure) that
    /// checks before granting apply; the shipped <c>joint-sanctions.json</c> when not set.</summary>
    public string? JointSanctionsFile { get; set; }
}

public static class IndexRegistration
{
    /// <summary>
    /// The index database lives with the aggregator: a process that runs the aggregator (the embedded default, or the
    /// aggregator in server mode) opens, migrates and serves the index; the court adapter running alone needs no
    /// database, no credentials for one, and serves no query API.
    /// </summary>
    public static bool HasIndex(IConfiguration configuration) =>
        configuration.GetSection(Hub.Aggregator.AggregatorOptions.Section).Get<Hub.Aggregator.AggregatorOptions>()?.Enabled ?? true;

    /// <summary>Clock, legal-basis catalogue, agency registry and record rules: what every Hub process needs.</summary>
    public static IHostApplicationBuilder AddHubCatalogue(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<CatalogueOptions>().BindConfiguration(CatalogueOptions.Section);
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<CatalogueOptions>>().Value;
            return o.LegalBasisFile is { } f ? LegalBasisCatalogue.Load(File.ReadAllText(f)) : LegalBasisCatalogue.Embedded();
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<CatalogueOptions>>().Value;
            return o.AgenciesFile is { } f ? AgencyRegistry.Load(File.ReadAllText(f)) : AgencyRegistry.Embedded();
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<CatalogueOptions>>().Value;
            return o.CalendarFile is { } f ? WorkingDays.Load(File.ReadAllText(f)) : WorkingDays.Embedded();
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<CatalogueOptions>>().Value;
            var bases = sp.GetRequiredService<LegalBasisCatalogue>();
            // the agency kinds are the ones the access policy gives scopes to (AddHubSecurity registers it)
            var kinds = sp.GetRequiredService<Hub.Domain.Access.AccessPolicy>().AgencyKinds;
            return o.JointSanctionsFile is { } f ? JointSanctionsCatalogue.Load(File.ReadAllText(f), bases, kinds) : JointSanctionsCatalogue.Embedded(bases, kinds);
        });
        services.AddSingleton<RecordRules>();
        return builder;
    }

    /// <summary>The index database, migrated at start (see <see cref="HasIndex"/>).</summary>
    public static IHostApplicationBuilder AddHubIndex(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations()
            .Validate(o => TryDialect(o.Provider), "Hub:Storage:Provider must be Sqlite or Postgres").ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var provider = sp.GetRequiredService<IOptions<StorageOptions>>().Value.Provider;
            var cs = sp.GetRequiredService<IConfiguration>().GetConnectionString("Index")
                     ?? throw new InvalidOperationException("ConnectionStrings:Index is not set");
            var dialect = Dialects.For(provider);
            if (dialect is Hub.Storage.Sqlite.SqliteDialect) EnsureSqliteFolder(cs);
            return new IndexDatabase(dialect, cs, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<SubjectChecks>();
        // registered before the bus so the schema exists before the first message is consumed
        services.AddHostedService<IndexMigrator>();
        return builder;
    }

    private static bool TryDialect(string provider)
    {
        try { Dialects.For(provider); return true; }
        catch (ArgumentException) { return false; }
    }

    private static void EnsureSqliteFolder(string connectionString)
    {
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        var folder = Path.GetDirectoryName(Path.GetFullPath(file));
        if (!string.IsNullOrEmpty(folder) && file != ":memory:") Directory.CreateDirectory(folder);
    }
}

internal sealed partial class IndexMigrator(IndexDatabase db, ILogger<IndexMigrator> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await db.MigrateAsync(cancellationToken);
        LogMigrated(db.Dialect.Name, db.SchemaVersion);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Index database ({Dialect}) at schema version {Version}")]
    private partial void LogMigrated(string dialect, int version);
}
