using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace EmailPipeline.Queue.State;

/// <summary>
/// The default store: one SQLite file. WAL lets readers (the operator's command line) run beside the service;
/// synchronous=FULL makes every commit reach the disk, so state survives kill -9 and power loss. SQLite takes one
/// writer at a time, so writes queue here instead of spinning on SQLITE_BUSY, and those that queued together commit
/// together (<see cref="CommitGroup"/>): one fsync for many inputs.
/// </summary>
public sealed class SqliteQueueStore : SqlQueueStore
{
    private readonly string _connectionString;
    private readonly CommitGroup _commits;

    public SqliteQueueStore(string path, TimeProvider timeProvider)
        : base(timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _commits = new CommitGroup(OpenAsync, IsRejection);
    }

    protected override CommitGroup? Commits => _commits;

    public string Path { get; }

    // Binding looks each parameter name up with a linear search of the statement's parameters, so large multi-row
    // statements cost quadratic time here; small ones bulk-load 100,000 messages in seconds.
    protected override int RowsPerInsert => 16;

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // Per connection: synchronous and busy_timeout are not stored in the file (journal_mode is).
            await using DbCommand pragmas = Command(connection, null, "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;");
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async Task CreateSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using DbCommand command = Command(connection, null, "PRAGMA journal_mode = WAL;\n" + Schema);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open; closing them lets the file be moved or deleted after disposal.
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _commits.Dispose();
        return ValueTask.CompletedTask;
    }
}
