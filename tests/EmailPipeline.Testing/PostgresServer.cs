using Npgsql;

namespace EmailPipeline.Testing;

/// <summary>
/// The PostgreSQL the tests use: <c>EMAILPIPELINE_TEST_POSTGRES</c> (set by ./test.sh; the user may CREATE
/// DATABASE) when set, else the throwaway cluster <c>scripts/postgres.sh start</c> runs on <c>PGPORT</c>
/// (default 15432).
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<Task<string>> Server = new(StartAsync);

    /// <summary>A fresh database, so test classes never see each other's rows.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        string admin = await Server.Value;
        string name = "emailpipeline_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        string name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(await Server.Value);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("EMAILPIPELINE_TEST_POSTGRES") is { Length: > 0 } given)
        {
            return given;
        }

        string port = Environment.GetEnvironmentVariable("PGPORT") is { Length: > 0 } p ? p : "15432";
        ExternalTool.Result started = await ExternalTool.RunAsync(Path.Combine(RepositoryPaths.Root, "scripts", "postgres.sh"), ["start"], timeout: TimeSpan.FromMinutes(5));
        if (started.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/postgres.sh start failed ({started.ExitCode}): {started.All}");
        }

        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=30;Command Timeout=120";
    }
}

/// <summary>One database per test class.</summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync() => ConnectionString = await PostgresServer.CreateDatabaseAsync();

    public async ValueTask DisposeAsync() => await PostgresServer.DropDatabaseAsync(ConnectionString);
}
