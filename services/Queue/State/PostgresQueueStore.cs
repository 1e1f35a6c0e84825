using System.Data.Common;
using Npgsql;

namespace EmailPipeline.Queue.State;

/// <summary>
/// The shared store for several Queue replicas. Same schema and statements as SQLite; concurrent writers are
/// left to PostgreSQL (row locks, and the unique key on attempts decides which replica records an attempt).
/// </summary>
public sealed class PostgresQueueStore : SqlQueueStore
{
    // Any fixed number: replicas starting together take it so only one runs CREATE TABLE at a time
    // (concurrent CREATE ... IF NOT EXISTS can still fail on the catalog's unique index).
    private const long SchemaLockKey = 0x456D61696C51;

    private readonly NpgsqlDataSource _dataSource;

    public PostgresQueueStore(string connectionString, TimeProvider timeProvider)
        : base(timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task CreateSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        DbTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, transaction, $"SELECT pg_advisory_xact_lock({SchemaLockKey});\n{Schema}");
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A session advisory lock keyed by the domain, on a connection held until released: every Queue replica
    /// sharing this database takes it before a shaping decision. Closing the connection (also a crashed
    /// replica's) releases it.
    /// </summary>
    protected override async Task<IAsyncDisposable?> LockDestinationAcrossReplicasAsync(string domain, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended('emailpipeline.destination:' || @d, 0))", connection);
            command.Parameters.AddWithValue("d", domain);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new AdvisoryLock(connection, domain);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed class AdvisoryLock(NpgsqlConnection connection, string domain) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (connection.ConfigureAwait(false))
            {
                try
                {
                    await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended('emailpipeline.destination:' || @d, 0))", connection);
                    command.Parameters.AddWithValue("d", domain);
                    await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
                {
                    // A broken session has lost its locks with it; a pooled one is reset (DISCARD ALL) before reuse.
                }
            }
        }
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
