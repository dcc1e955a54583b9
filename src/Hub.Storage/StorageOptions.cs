using System.ComponentModel.DataAnnotations;

namespace Hub.Storage;

/// <summary>Configuration section <c>Hub:Storage</c>. The connection string itself is <c>ConnectionStrings:Index</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Hub:Storage";

    /// <summary><c>Sqlite</c> (embedded default) or <c>Postgres</c>.</summary>
    [Required]
    public string Provider { get; set; } = "Sqlite";
}

public static class Dialects
{
    public static ISqlDialect For(string provider) => provider.Trim().ToLowerInvariant() switch
    {
        "sqlite" => new Sqlite.SqliteDialect(),
        "postgres" or "postgresql" => new Postgres.PostgresDialect(),
        _ => throw new ArgumentException($"Hub:Storage:Provider '{provider}' is not supported; use Sqlite or Postgres", nameof(provider)),
    };
}
