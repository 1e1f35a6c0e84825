using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using EmailPipeline.Contracts;

namespace EmailPipeline.Queue.State;

/// <summary>
/// The SQL both stores share: one schema, plain ADO.NET, named parameters. Times are Unix milliseconds (BIGINT) and
/// flags are 0/1 INTEGERs so the same statements run on SQLite and PostgreSQL; the subclasses only open
/// connections, tune the engine and serialise writes where the engine needs it.
/// </summary>
public abstract partial class SqlQueueStore : IQueueStore, IAsyncDisposable
{
    private const string NotFinal = "(0, 1)";

    private readonly Lock _initGate = new();
    private Task? _initialized;

    protected SqlQueueStore(TimeProvider timeProvider)
    {
        TimeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    protected TimeProvider TimeProvider { get; }

    protected const string Schema = """
        CREATE TABLE IF NOT EXISTS messages (
            id TEXT NOT NULL PRIMARY KEY,
            sender TEXT NOT NULL,
            envid TEXT NULL,
            ret INTEGER NOT NULL,
            smtputf8 INTEGER NOT NULL,
            received_at BIGINT NOT NULL,
            size BIGINT NOT NULL,
            held INTEGER NOT NULL DEFAULT 0,
            flush_requested INTEGER NOT NULL DEFAULT 0,
            bounce_requested INTEGER NOT NULL DEFAULT 0,
            delay_dsn_sent INTEGER NOT NULL DEFAULT 0,
            version BIGINT NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS recipients (
            message_id TEXT NOT NULL,
            address TEXT NOT NULL,
            domain TEXT NOT NULL,
            notify INTEGER NOT NULL,
            orcpt TEXT NULL,
            state INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NULL,
            last_code INTEGER NULL,
            last_status TEXT NULL,
            last_diagnostic TEXT NULL,
            last_host TEXT NULL,
            updated_at BIGINT NOT NULL,
            work_id TEXT NULL,
            dsn_sent INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (message_id, address));
        CREATE TABLE IF NOT EXISTS outbox (
            id TEXT NOT NULL PRIMARY KEY,
            message_id TEXT NOT NULL,
            kind INTEGER NOT NULL,
            address TEXT NOT NULL,
            needs_content INTEGER NOT NULL,
            payload TEXT NOT NULL,
            created_at BIGINT NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_outbox_message ON outbox (message_id);
        CREATE INDEX IF NOT EXISTS ix_outbox_created ON outbox (created_at);
        CREATE TABLE IF NOT EXISTS attempts (
            attempt_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            attempt_number INTEGER NOT NULL,
            recipient TEXT NOT NULL,
            outcome INTEGER NOT NULL,
            code INTEGER NOT NULL,
            status TEXT NOT NULL,
            diagnostic TEXT NOT NULL,
            host TEXT NULL,
            attempted_at BIGINT NOT NULL,
            UNIQUE (attempt_id, recipient));
        CREATE INDEX IF NOT EXISTS ix_messages_received ON messages (received_at, id);
        CREATE INDEX IF NOT EXISTS ix_messages_sender ON messages (sender, received_at);
        CREATE INDEX IF NOT EXISTS ix_recipients_address ON recipients (address);
        CREATE INDEX IF NOT EXISTS ix_recipients_domain ON recipients (domain, state);
        CREATE INDEX IF NOT EXISTS ix_recipients_state ON recipients (state, message_id);
        CREATE INDEX IF NOT EXISTS ix_attempts_message ON attempts (message_id, attempted_at);
        CREATE INDEX IF NOT EXISTS ix_attempts_time ON attempts (attempted_at);
        """;

    /// <summary>Columns added after the first release, added to an older database at start-up.</summary>
    private static readonly (string Table, string Column, string Definition)[] LaterColumns =
    [
        ("messages", "version", "BIGINT NOT NULL DEFAULT 0"),
        ("recipients", "work_id", "TEXT NULL"),
        ("recipients", "dsn_sent", "INTEGER NOT NULL DEFAULT 0"),
    ];

    /// <summary>Rows per multi-row INSERT in <see cref="AddMessagesAsync"/>: fewer round trips on a server, but
    /// each engine has its own sweet spot (and parameter limit: SQLite 32766, PostgreSQL 65535).</summary>
    protected virtual int RowsPerInsert => 200;

    /// <summary>Opens a connection tuned for this engine.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Runs the schema; an engine may need a lock around it (several replicas starting at once).</summary>
    protected abstract Task CreateSchemaAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Where an engine with one writer at a time commits writes in groups (SQLite); null: each write its own transaction.</summary>
    protected virtual CommitGroup? Commits => null;

    /// <summary>A write the store refuses as a whole (optimistic version conflict, duplicate attempt): rolled back, default returned.</summary>
    protected static bool IsRejection(Exception ex) => ex is DuplicateAttemptException or ConflictException;

    public abstract ValueTask DisposeAsync();

    public Task InitializeAsync(CancellationToken cancellationToken) => EnsureInitializedAsync(cancellationToken);

    public async Task<bool> AddMessageAsync(MessageAccepted message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return await AddMessagesAsync([message], cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Records many accepted messages in one transaction (imports, tests with large queues); ids already known are
    /// skipped. Returns how many were new.
    /// </summary>
    public async Task<int> AddMessagesAsync(IReadOnlyCollection<MessageAccepted> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var unique = new List<MessageAccepted>(messages.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (MessageAccepted message in messages)
        {
            if (seen.Add(message.MessageId))
            {
                unique.Add(message);
            }
        }

        if (unique.Count == 0)
        {
            return 0;
        }

        long now = NowMs();
        return await WriteAsync(async (connection, transaction) =>
        {
            var added = new HashSet<string>(StringComparer.Ordinal);
            foreach (MessageAccepted[] chunk in unique.Chunk(RowsPerInsert))
            {
                await using DbCommand insert = Command(connection, transaction, "");
                var sql = new StringBuilder("INSERT INTO messages (id, sender, envid, ret, smtputf8, received_at, size) VALUES ");
                for (int i = 0; i < chunk.Length; i++)
                {
                    MessageAccepted m = chunk[i];
                    sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@i{i}, @s{i}, @e{i}, @r{i}, @u{i}, @t{i}, @z{i})");
                    Add(insert, $"i{i}", m.MessageId, DbType.String);
                    Add(insert, $"s{i}", m.Envelope.Sender, DbType.String);
                    Add(insert, $"e{i}", m.Envelope.EnvelopeId, DbType.String);
                    Add(insert, $"r{i}", (int)m.Envelope.Return, DbType.Int32);
                    Add(insert, $"u{i}", m.Envelope.SmtpUtf8 ? 1 : 0, DbType.Int32);
                    Add(insert, $"t{i}", m.ReceivedAt.ToUnixTimeMilliseconds(), DbType.Int64);
                    Add(insert, $"z{i}", (long)m.Content.Length, DbType.Int64);
                }

                // RETURNING tells which ids were new, so a redelivered message adds no recipients either.
                insert.CommandText = sql.Append(" ON CONFLICT (id) DO NOTHING RETURNING id").ToString();
                await using DbDataReader reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    added.Add(reader.GetString(0));
                }
            }

            var recipients = unique.Where(m => added.Contains(m.MessageId))
                .SelectMany(m => m.Envelope.Recipients.DistinctBy(r => r.Address, StringComparer.Ordinal).Select(r => (m.MessageId, Recipient: r)));
            foreach (var chunk in recipients.Chunk(RowsPerInsert))
            {
                await using DbCommand insert = Command(connection, transaction, "");
                var sql = new StringBuilder("INSERT INTO recipients (message_id, address, domain, notify, orcpt, state, updated_at) VALUES ");
                for (int i = 0; i < chunk.Length; i++)
                {
                    (string messageId, EnvelopeRecipient r) = chunk[i];
                    sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@m{i}, @a{i}, @d{i}, @n{i}, @o{i}, 0, @t)");
                    Add(insert, $"m{i}", messageId, DbType.String);
                    Add(insert, $"a{i}", r.Address, DbType.String);
                    Add(insert, $"d{i}", r.Domain.ToLowerInvariant(), DbType.String);
                    Add(insert, $"n{i}", (int)r.Notify, DbType.Int32);
                    Add(insert, $"o{i}", r.OriginalRecipient, DbType.String);
                }

                Add(insert, "t", now, DbType.Int64);
                insert.CommandText = sql.Append(" ON CONFLICT (message_id, address) DO NOTHING").ToString();
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return added.Count;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> RecordAttemptAsync(DeliveryAttempted attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        long now = NowMs();
        return await WriteAsync(async (connection, transaction) =>
        {
            await using (DbCommand seen = Command(connection, transaction, "SELECT 1 FROM attempts WHERE attempt_id = @a LIMIT 1"))
            {
                Add(seen, "a", attempt.AttemptId, DbType.String);
                if (await seen.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null and not DBNull)
                {
                    return false;
                }
            }

            foreach (RecipientOutcome outcome in attempt.Outcomes.DistinctBy(o => o.Recipient, StringComparer.Ordinal))
            {
                var row = new AttemptRecord(attempt.MessageId, attempt.AttemptId, attempt.AttemptNumber, outcome.Recipient, outcome.Outcome,
                    outcome.ReplyCode, outcome.EnhancedStatus, outcome.Diagnostic, outcome.RemoteHost, attempt.AttemptedAt);

                // On PostgreSQL a concurrent writer of the same attempt blocks here until it commits, then we insert
                // nothing: the other replica recorded it, so this one reports a duplicate and rolls back.
                if (await InsertAttemptAsync(connection, transaction, row, cancellationToken).ConfigureAwait(false) == 0)
                {
                    throw new DuplicateAttemptException();
                }

                await using DbCommand update = Command(connection, transaction, $"""
                    UPDATE recipients SET state = @st, attempts = attempts + 1, next_attempt_at = NULL,
                        last_code = @c, last_status = @s, last_diagnostic = @d, last_host = @h, updated_at = @now
                    WHERE message_id = @m AND address = @r AND state IN {NotFinal}
                    """);
                Add(update, "st", (int)StateOf(outcome.Outcome), DbType.Int32);
                Add(update, "c", outcome.ReplyCode, DbType.Int32);
                Add(update, "s", outcome.EnhancedStatus, DbType.String);
                Add(update, "d", outcome.Diagnostic, DbType.String);
                Add(update, "h", outcome.RemoteHost, DbType.String);
                Add(update, "now", now, DbType.Int64);
                Add(update, "m", attempt.MessageId, DbType.String);
                Add(update, "r", outcome.Recipient, DbType.String);
                await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetStateAsync(string messageId, IReadOnlyCollection<string> recipients, RecipientState state, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        if (recipients.Count == 0)
        {
            return;
        }

        long now = NowMs();
        await WriteAsync(async (connection, transaction) =>
        {
            foreach (string recipient in recipients.Distinct(StringComparer.Ordinal))
            {
                await using DbCommand update = Command(connection, transaction, $"""
                    UPDATE recipients SET state = @st, next_attempt_at = @next, updated_at = @now,
                        work_id = CASE WHEN @st IN {NotFinal} THEN work_id ELSE NULL END
                    WHERE message_id = @m AND address = @r AND state IN {NotFinal}
                    """);
                Add(update, "st", (int)state, DbType.Int32);
                Add(update, "next", nextAttemptAt?.ToUnixTimeMilliseconds(), DbType.Int64);
                Add(update, "now", now, DbType.Int64);
                Add(update, "m", messageId, DbType.String);
                Add(update, "r", recipient, DbType.String);
                await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await BumpVersionAsync(connection, transaction, messageId, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every write outside a lifecycle decision moves the message's version, so a decision made from the
    /// state before it is not applied over it (the consumer decides again).</summary>
    private static async Task BumpVersionAsync(DbConnection connection, DbTransaction transaction, string messageId, CancellationToken cancellationToken)
    {
        await using DbCommand bump = Command(connection, transaction, "UPDATE messages SET version = version + 1 WHERE id = @id");
        Add(bump, "id", messageId, DbType.String);
        await bump.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkRetryDispatchedAsync(string messageId, IReadOnlyCollection<string> recipients, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        if (recipients.Count == 0)
        {
            return;
        }

        long now = NowMs();
        await WriteAsync(async (connection, transaction) =>
        {
            foreach (string recipient in recipients.Distinct(StringComparer.Ordinal))
            {
                await using DbCommand update = Command(connection, transaction, """
                    UPDATE recipients SET state = @queued, next_attempt_at = NULL, updated_at = @now
                    WHERE message_id = @m AND address = @r AND state = @deferred AND next_attempt_at = @due
                    """);
                Add(update, "queued", (int)RecipientState.Queued, DbType.Int32);
                Add(update, "deferred", (int)RecipientState.Deferred, DbType.Int32);
                Add(update, "due", dueAt.ToUnixTimeMilliseconds(), DbType.Int64);
                Add(update, "now", now, DbType.Int64);
                Add(update, "m", messageId, DbType.String);
                Add(update, "r", recipient, DbType.String);
                await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<MessageRecord?> GetAsync(string messageId, CancellationToken cancellationToken)
    {
        IReadOnlyList<MessageRecord> found = await ReadMessagesAsync(
            "SELECT * FROM messages m WHERE m.id = @id",
            command => Add(command, "id", messageId, DbType.String),
            cancellationToken).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    public async Task<IReadOnlyList<MessageRecord>> ListAsync(QueueFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);

        // Only the filters given become SQL, so each engine's planner sees a plain query and picks the index that
        // fits (sender, address, domain, state or age) instead of one generic plan full of "@x IS NULL OR ...".
        var where = new List<string>();
        var parameters = new List<(string Name, object? Value, DbType Type)>();
        if (filter.Sender is not null)
        {
            where.Add("m.sender = @sender");
            parameters.Add(("sender", filter.Sender, DbType.String));
        }

        if (filter.OlderThan is { } age)
        {
            where.Add("m.received_at <= @cutoff");
            parameters.Add(("cutoff", (TimeProvider.GetUtcNow() - age).ToUnixTimeMilliseconds(), DbType.Int64));
        }

        var recipientWhere = new List<string>();
        if (filter.Recipient is not null)
        {
            recipientWhere.Add("r.address = @recipient");
            parameters.Add(("recipient", filter.Recipient, DbType.String));
        }

        if (filter.Domain is not null)
        {
            recipientWhere.Add("r.domain = @domain");
            parameters.Add(("domain", filter.Domain.ToLowerInvariant(), DbType.String));
        }

        if (filter.State is { } state)
        {
            recipientWhere.Add("r.state = @state");
            parameters.Add(("state", (int)state, DbType.Int32));
        }

        if (recipientWhere.Count > 0)
        {
            // One recipient must match every recipient filter (as mailq users expect: "deferred mail for example.org").
            where.Add($"m.id IN (SELECT r.message_id FROM recipients r WHERE {string.Join(" AND ", recipientWhere)})");
        }

        if (!filter.IncludeFinished)
        {
            // Correlated, so it costs one primary-key probe per candidate message instead of collecting every open
            // recipient of the queue before the page is cut.
            where.Add($"EXISTS (SELECT 1 FROM recipients q WHERE q.message_id = m.id AND q.state IN {NotFinal})");
        }

        string limit = filter.Limit > 0 ? string.Create(CultureInfo.InvariantCulture, $" LIMIT {filter.Limit}") : "";
        string sql = $"SELECT * FROM messages m{(where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")} ORDER BY m.received_at, m.id{limit}";
        return await ReadMessagesAsync(sql, command =>
        {
            foreach ((string name, object? value, DbType type) in parameters)
            {
                Add(command, name, value, type);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AttemptRecord>> GetAttemptsAsync(string messageId, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null, """
                SELECT message_id, attempt_id, attempt_number, recipient, outcome, code, status, diagnostic, host, attempted_at
                FROM attempts WHERE message_id = @m ORDER BY attempted_at, attempt_number, recipient
                """);
            Add(command, "m", messageId, DbType.String);
            var attempts = new List<AttemptRecord>();
            await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                attempts.Add(new AttemptRecord(
                    reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3),
                    (DeliveryOutcome)reader.GetInt32(4), reader.GetInt32(5), reader.GetString(6), reader.GetString(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8), Time(reader.GetInt64(9))));
            }

            return attempts;
        }
    }

    public Task<bool> SetHeldAsync(string messageId, bool held, CancellationToken cancellationToken) =>
        UpdateMessageAsync("UPDATE messages SET held = @v WHERE id = @id", messageId, held ? 1 : 0, cancellationToken);

    public async Task<int> RequestFlushAsync(string? messageId, CancellationToken cancellationToken)
    {
        // Only messages that still wait for a retry: flushing a delivered message would mean nothing.
        string sql = $"UPDATE messages SET flush_requested = 1, version = version + 1 WHERE id IN (SELECT r.message_id FROM recipients r WHERE r.state = {(int)RecipientState.Deferred})"
            + (messageId is null ? "" : " AND id = @id");
        return await WriteAsync(async (connection, transaction) =>
        {
            await using DbCommand command = Command(connection, transaction, sql);
            if (messageId is not null)
            {
                Add(command, "id", messageId, DbType.String);
            }

            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task ClearFlushAsync(string messageId, CancellationToken cancellationToken) =>
        UpdateMessageAsync("UPDATE messages SET flush_requested = @v WHERE id = @id", messageId, 0, cancellationToken);

    public Task<bool> RequestBounceAsync(string messageId, CancellationToken cancellationToken) =>
        UpdateMessageAsync("UPDATE messages SET bounce_requested = @v WHERE id = @id", messageId, 1, cancellationToken);

    public Task MarkDelayDsnSentAsync(string messageId, CancellationToken cancellationToken) =>
        UpdateMessageAsync("UPDATE messages SET delay_dsn_sent = @v WHERE id = @id", messageId, 1, cancellationToken);

    public Task<int> CountInFlightAsync(string domain, string exceptMessageId, CancellationToken cancellationToken) =>
        CountAsync(
            "SELECT COUNT(DISTINCT message_id) FROM recipients WHERE domain = @d AND state = @q AND message_id <> @m",
            [("d", domain.ToLowerInvariant(), DbType.String), ("q", (int)RecipientState.Queued, DbType.Int32), ("m", exceptMessageId, DbType.String)],
            cancellationToken);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _destinationLocks = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Within this process a semaphore per domain; <see cref="LockDestinationAcrossReplicasAsync"/> adds
    /// what a store shared by several processes needs.</summary>
    public async Task<IAsyncDisposable> LockDestinationAsync(string domain, CancellationToken cancellationToken)
    {
        SemaphoreSlim local = _destinationLocks.GetOrAdd(domain.ToLowerInvariant(), _ => new SemaphoreSlim(1, 1));
        await local.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IAsyncDisposable? shared = await LockDestinationAcrossReplicasAsync(domain.ToLowerInvariant(), cancellationToken).ConfigureAwait(false);
            return new DestinationLock(local, shared);
        }
        catch
        {
            local.Release();
            throw;
        }
    }

    /// <summary>Null for a store only one process uses (SQLite: a local file).</summary>
    protected virtual Task<IAsyncDisposable?> LockDestinationAcrossReplicasAsync(string domain, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable?>(null);

    private sealed class DestinationLock(SemaphoreSlim local, IAsyncDisposable? shared) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            try
            {
                if (shared is not null)
                {
                    await shared.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                local.Release();
            }
        }
    }

    public Task<int> CountAttemptsSinceAsync(string domain, DateTimeOffset since, CancellationToken cancellationToken) =>
        CountAsync(
            """
            SELECT COUNT(DISTINCT a.attempt_id) FROM attempts a
            JOIN recipients r ON r.message_id = a.message_id AND r.address = a.recipient
            WHERE a.attempted_at >= @t AND r.domain = @d
            """,
            [("d", domain.ToLowerInvariant(), DbType.String), ("t", since.ToUnixTimeMilliseconds(), DbType.Int64)],
            cancellationToken);

    private async Task<int> CountAsync(string sql, (string Name, object Value, DbType Type)[] parameters, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null, sql);
            foreach (var (name, value, type) in parameters)
            {
                Add(command, name, value, type);
            }

            object? result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return Convert.ToInt32(result, CultureInfo.InvariantCulture);
        }
    }

    public async Task<IReadOnlyDictionary<RecipientState, long>> CountByStateAsync(CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null, "SELECT state, COUNT(*) FROM recipients GROUP BY state");
            var counts = Enum.GetValues<RecipientState>().ToDictionary(s => s, _ => 0L);
            await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                counts[(RecipientState)reader.GetInt32(0)] = reader.GetInt64(1);
            }

            return counts;
        }
    }

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        DbCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    // The type is always given: PostgreSQL cannot infer one for a bare NULL in a multi-row VALUES list.
    protected static void Add(DbCommand command, string name, object? value, DbType type)
    {
        DbParameter parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private static RecipientState StateOf(DeliveryOutcome outcome) => outcome switch
    {
        DeliveryOutcome.Delivered => RecipientState.Delivered,
        DeliveryOutcome.Bounced => RecipientState.Bounced,
        _ => RecipientState.Deferred,
    };

    protected static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    protected long NowMs() => TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    protected Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        // Every operation waits for the schema, so a consumer that starts before the hosted initializer still
        // finds its tables. A failed attempt is retried by the next caller rather than cached forever.
        lock (_initGate)
        {
            if (_initialized is null || _initialized.IsFaulted || _initialized.IsCanceled)
            {
                _initialized = InitializeCoreAsync(cancellationToken);
            }

            return _initialized;
        }
    }

    private async Task InitializeCoreAsync(CancellationToken cancellationToken)
    {
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await AddLaterColumnsAsync(connection, cancellationToken).ConfigureAwait(false);
            await CreateSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>An older database has the tables without the later columns: CREATE TABLE IF NOT EXISTS leaves them as
    /// they are, so each missing column is added (before the schema's indexes, which may use them).</summary>
    private static async Task AddLaterColumnsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        foreach (var (table, column, definition) in LaterColumns)
        {
            if (!await ColumnIsMissingAsync(connection, table, column, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            try
            {
                await using DbCommand alter = Command(connection, null, $"ALTER TABLE {table} ADD COLUMN {column} {definition}");
                await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbException)
            {
                if (await ColumnIsMissingAsync(connection, table, column, cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }

                // Another replica added it first.
            }
        }
    }

    private static async Task<bool> ColumnIsMissingAsync(DbConnection connection, string table, string column, CancellationToken cancellationToken)
    {
        try
        {
            await using DbCommand probe = Command(connection, null, $"SELECT {column} FROM {table} WHERE 1 = 0");
            await probe.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (DbException)
        {
            // No such table (a new database: the schema creates it whole) or no such column.
            try
            {
                await using DbCommand table0 = Command(connection, null, $"SELECT 1 FROM {table} WHERE 1 = 0");
                await table0.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (DbException)
            {
                return false;
            }
        }
    }

    private async Task<bool> UpdateMessageAsync(string sql, string messageId, int value, CancellationToken cancellationToken)
    {
        return await WriteAsync(async (connection, transaction) =>
        {
            await using DbCommand command = Command(connection, transaction, sql);
            Add(command, "v", value, DbType.Int32);
            Add(command, "id", messageId, DbType.String);
            bool found = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
            await BumpVersionAsync(connection, transaction, messageId, cancellationToken).ConfigureAwait(false);
            return found;
        }, cancellationToken).ConfigureAwait(false);
    }

    protected async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (Commits is { } group)
        {
            return await group.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        }

        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            DbTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                T result;
                try
                {
                    result = await work(connection, transaction).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsRejection(ex))
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return default!;
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
        }
    }

    private async Task<IReadOnlyList<MessageRecord>> ReadMessagesAsync(string messageQuery, Action<DbCommand> bind, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // One round trip: the page of messages, joined to their recipients.
            await using DbCommand command = Command(connection, null, $"""
                WITH page AS ({messageQuery})
                SELECT p.id, p.sender, p.envid, p.ret, p.smtputf8, p.received_at, p.size, p.held, p.flush_requested,
                       p.bounce_requested, p.delay_dsn_sent,
                       r.address, r.domain, r.notify, r.orcpt, r.state, r.attempts, r.next_attempt_at, r.last_code,
                       r.last_status, r.last_diagnostic, r.last_host, r.updated_at, r.work_id, r.dsn_sent, p.version
                FROM page p LEFT JOIN recipients r ON r.message_id = p.id
                ORDER BY p.received_at, p.id, r.address
                """);
            bind(command);
            var messages = new List<MessageRecord>();
            MessageRecord? current = null;
            List<RecipientRecord>? recipients = null;
            await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string id = reader.GetString(0);
                if (current is null || current.MessageId != id)
                {
                    recipients = [];
                    current = new MessageRecord(
                        id, reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), (DsnReturn)reader.GetInt32(3),
                        reader.GetInt32(4) != 0, Time(reader.GetInt64(5)), reader.GetInt64(6), reader.GetInt32(7) != 0,
                        reader.GetInt32(8) != 0, reader.GetInt32(9) != 0, reader.GetInt32(10) != 0, recipients)
                    {
                        Version = reader.GetInt64(25),
                    };
                    messages.Add(current);
                }

                if (!reader.IsDBNull(11))
                {
                    recipients!.Add(new RecipientRecord(
                        id, reader.GetString(11), reader.GetString(12), (DsnNotify)reader.GetInt32(13),
                        reader.IsDBNull(14) ? null : reader.GetString(14), (RecipientState)reader.GetInt32(15), reader.GetInt32(16),
                        reader.IsDBNull(17) ? null : Time(reader.GetInt64(17)), reader.IsDBNull(18) ? null : reader.GetInt32(18),
                        reader.IsDBNull(19) ? null : reader.GetString(19), reader.IsDBNull(20) ? null : reader.GetString(20),
                        reader.IsDBNull(21) ? null : reader.GetString(21), Time(reader.GetInt64(22)))
                    {
                        WorkId = reader.IsDBNull(23) ? null : reader.GetString(23),
                        DsnSent = (Lifecycle.DsnKinds)reader.GetInt32(24),
                    });
                }
            }

            return messages;
        }
    }

    /// <summary>Unwinds a write transaction whose attempt another writer already recorded.</summary>
    private sealed class DuplicateAttemptException : Exception;
}
