using System.Data;
using System.Globalization;
using Dapper;

namespace Hub.Storage;

/// <summary>Dapper's process-wide settings: snake_case columns, and dates that read the same from SQLite text and PostgreSQL types.</summary>
internal static class DapperSetup
{
    private static int _done;

    public static void EnsureConfigured()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1) return;
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new DateOnlyHandler());
        SqlMapper.AddTypeHandler(new DateTimeOffsetHandler());
        SqlMapper.AddTypeHandler(new ListHandler<string>());
        SqlMapper.AddTypeHandler(new ListHandler<long>());
    }

    /// <summary>
    /// A list parameter (<see cref="ISqlDialect.InList"/>, <see cref="ISqlDialect.ForEachKey"/>): on SQLite one JSON
    /// array, which the statement reads with <c>json_each</c>; elsewhere the array itself (PostgreSQL takes arrays).
    /// Registered for the array types the Hub passes as lists, so Dapper does not expand them into a parameter per value.
    /// </summary>
    private sealed class ListHandler<T> : SqlMapper.TypeHandler<T[]>
    {
        public override void SetValue(IDbDataParameter parameter, T[]? value)
        {
            if (parameter is Microsoft.Data.Sqlite.SqliteParameter)
            {
                parameter.DbType = DbType.String;
                parameter.Value = System.Text.Json.JsonSerializer.Serialize(value ?? []);
            }
            else parameter.Value = (object?)value ?? DBNull.Value;
        }

        public override T[] Parse(object value) => value switch
        {
            T[] array => array,
            string json => System.Text.Json.JsonSerializer.Deserialize<T[]>(json) ?? [],
            _ => throw new DataException($"cannot read a list from {value.GetType().Name}"),
        };
    }

    private sealed class DateOnlyHandler : SqlMapper.TypeHandler<DateOnly>
    {
        public override void SetValue(IDbDataParameter parameter, DateOnly value)
        {
            parameter.DbType = DbType.Date;
            parameter.Value = value;
        }

        public override DateOnly Parse(object value) => value switch
        {
            DateOnly d => d,
            DateTime dt => DateOnly.FromDateTime(dt),
            string s => DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            _ => throw new DataException($"cannot read a date from {value.GetType().Name}"),
        };
    }

    private sealed class DateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value)
        {
            parameter.DbType = DbType.DateTimeOffset;
            parameter.Value = value.ToUniversalTime();
        }

        public override DateTimeOffset Parse(object value) => value switch
        {
            DateTimeOffset d => d,
            DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
            string s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            _ => throw new DataException($"cannot read a time from {value.GetType().Name}"),
        };
    }
}
