using System.Diagnostics;
using Npgsql;

namespace EmailPipeline.Queue.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL the tests use: <c>EMAILPIPELINE_TEST_POSTGRES</c> (a connection string to a server where the user
/// may CREATE DATABASE) when set, else the throwaway cluster that <c>scripts/postgres.sh start</c> runs on
/// <c>PGPORT</c> (default 15432).
/// </summary>
internal static class PostgresServer
{
    private static readonly Lazy<Task<string>> Server = new(StartAsync);

    public static Task<string> ConnectionStringAsync() => Server.Value;

    /// <summary>A fresh database with a random name, so test classes never see each other's rows.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        string admin = await ConnectionStringAsync();
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
        await using var connection = new NpgsqlConnection(await ConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> StartAsync()
    {
        string? given = Environment.GetEnvironmentVariable("EMAILPIPELINE_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(given))
        {
            return given;
        }

        string port = Environment.GetEnvironmentVariable("PGPORT") is { Length: > 0 } p ? p : "15432";
        var psi = new ProcessStartInfo(Path.Combine(RepositoryPaths.Root, "scripts", "postgres.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("start");
        psi.Environment["PGPORT"] = port;
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException("scripts/postgres.sh did not start");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/postgres.sh start failed ({process.ExitCode}): {await stdout}{await stderr}");
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
