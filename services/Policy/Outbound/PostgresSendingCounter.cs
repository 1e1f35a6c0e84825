using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EmailPipeline.Policy.Outbound;

/// <summary>
/// Counters in one PostgreSQL table shared by every Policy replica, so a limit holds for the deployment, not per
/// replica. A check is one short transaction: make sure the window rows exist, lock them (always in the same
/// order, so two replicas never deadlock), compare, and increment all or none. Row locks serialize only
/// messages of the same user or domain; everything else runs in parallel.
/// </summary>
internal sealed class PostgresSendingCounter : ISendingCounter, IAsyncDisposable
{
    // Any fixed number: replicas starting together take it so only one creates the table at a time.
    private const long SchemaLockKey = 0x456D61696C50;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS policy_sending_windows (
            scope          text    NOT NULL,
            window_seconds integer NOT NULL,
            window_start   bigint  NOT NULL,
            sent           integer NOT NULL,
            PRIMARY KEY (scope, window_seconds, window_start));
        CREATE INDEX IF NOT EXISTS policy_sending_windows_end ON policy_sending_windows ((window_start + window_seconds));
        """;

    private const string Quotas = "unnest(@scopes, @windows, @starts) AS q(scope, window_seconds, window_start)";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _timeout;
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private volatile bool _schemaReady;
    private long _nextSweep;

    public PostgresSendingCounter(IOptions<SendingLimitOptions> options)
    {
        string connectionString = options.Value.ConnectionString
            ?? throw new InvalidOperationException($"{SendingLimitOptions.Section}:ConnectionString is not set.");
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = options.Value.MaxConnections };
        _dataSource = NpgsqlDataSource.Create(builder);
        _timeout = options.Value.StoreTimeout;
    }

    public async Task<SendingAdmission> AdmitAsync(IReadOnlyList<SendingQuota> quotas, DateTimeOffset now, CancellationToken ct)
    {
        // Sorted: the lock order every replica uses.
        SendingQuota[] sorted = [.. quotas.OrderBy(q => q.Scope, StringComparer.Ordinal).ThenBy(q => q.WindowSeconds)];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            return await AdmitCoreAsync(sorted, now, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return SendingAdmission.Unavailable($"no answer from PostgreSQL within {_timeout.TotalSeconds:0.#} s");
        }
        catch (NpgsqlException ex)
        {
            return SendingAdmission.Unavailable($"PostgreSQL: {(ex is PostgresException pg ? pg.SqlState + " " + pg.MessageText : ex.Message)}");
        }
    }

    private async Task<SendingAdmission> AdmitCoreAsync(SendingQuota[] quotas, DateTimeOffset now, CancellationToken ct)
    {
        await EnsureSchemaAsync(ct).ConfigureAwait(false);
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await SweepAsync(connection, now, ct).ConfigureAwait(false);

        string[] scopes = [.. quotas.Select(q => q.Scope)];
        int[] windows = [.. quotas.Select(q => q.WindowSeconds)];
        long[] starts = [.. quotas.Select(q => q.WindowStart(now))];

        // Outside the transaction, so no lock is held across statements: rows that exist are left alone.
        await using (NpgsqlCommand insert = Command(connection, null,
            $"INSERT INTO policy_sending_windows (scope, window_seconds, window_start, sent) SELECT q.scope, q.window_seconds, q.window_start, 0 FROM {Quotas} ORDER BY 1, 2 ON CONFLICT DO NOTHING",
            scopes, windows, starts))
        {
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        var sent = new Dictionary<(string, int), int>();
        await using (NpgsqlCommand select = Command(connection, transaction,
            $"SELECT w.scope, w.window_seconds, w.sent FROM policy_sending_windows w JOIN {Quotas} USING (scope, window_seconds, window_start) ORDER BY w.scope, w.window_seconds FOR UPDATE OF w",
            scopes, windows, starts))
        {
            await using NpgsqlDataReader reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                sent[(reader.GetString(0), reader.GetInt32(1))] = reader.GetInt32(2);
            }
        }

        SendingQuota? full = null;
        TimeSpan retryAfter = TimeSpan.Zero;
        foreach (SendingQuota quota in quotas)
        {
            if (sent.GetValueOrDefault((quota.Scope, quota.WindowSeconds)) < quota.Limit)
            {
                continue;
            }

            TimeSpan wait = quota.UntilReset(now);
            if (full is null || wait > retryAfter)
            {
                full = quota;
                retryAfter = wait;
            }
        }

        if (full is not null)
        {
            await transaction.RollbackAsync(ct).ConfigureAwait(false);
            return SendingAdmission.Full(full, retryAfter);
        }

        await using (NpgsqlCommand update = Command(connection, transaction,
            $"UPDATE policy_sending_windows w SET sent = w.sent + 1 FROM {Quotas} WHERE w.scope = q.scope AND w.window_seconds = q.window_seconds AND w.window_start = q.window_start",
            scopes, windows, starts))
        {
            await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return SendingAdmission.Admitted;
    }

    /// <summary>Once a minute per replica, drop rows of windows that ended over five minutes ago (the grace keeps a
    /// replica whose clock runs ahead from deleting a window another replica still counts in).</summary>
    private async Task SweepAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct)
    {
        long seconds = now.ToUnixTimeSeconds();
        long due = Interlocked.Read(ref _nextSweep);
        if (seconds < due || Interlocked.CompareExchange(ref _nextSweep, seconds + 60, due) != due)
        {
            return;
        }

        await using var delete = new NpgsqlCommand("DELETE FROM policy_sending_windows WHERE window_start + window_seconds <= @now", connection);
        delete.Parameters.AddWithValue("now", seconds - 300);
        await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private async Task EnsureSchemaAsync(CancellationToken ct)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_schemaReady)
            {
                return;
            }

            await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using (var create = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLockKey});\n{Schema}", connection, transaction))
            {
                await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            _schemaReady = true;
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, string[] scopes, int[] windows, long[] starts)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]>("scopes", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = scopes });
        command.Parameters.Add(new NpgsqlParameter<int[]>("windows", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = windows });
        command.Parameters.Add(new NpgsqlParameter<long[]>("starts", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = starts });
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _schemaGate.Dispose();
    }
}
