using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.Lifecycle;

namespace EmailPipeline.Queue.State;

/// <summary>The lifecycle's writes: one transaction per decision, with its outbox rows.</summary>
public abstract partial class SqlQueueStore
{
    /// <summary>Rows already dispatched, deleted by the next write transaction (or <see cref="FlushDispatchedAsync"/>):
    /// a row that survives a crash is only dispatched again, and its id makes that a recognised duplicate.</summary>
    private readonly ConcurrentQueue<string> _dispatched = new();

    public async Task<bool> ApplyAsync(string messageId, long? expectedVersion, LifecycleDecision decision, IReadOnlyList<OutboxRow> outbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(outbox);
        long now = NowMs();
        return await WriteAsync(async (connection, transaction) =>
        {
            await DeleteDispatchedAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            if (decision.NewMessage is { } m)
            {
                if (!await InsertMessageAsync(connection, transaction, m, decision, now, cancellationToken).ConfigureAwait(false))
                {
                    throw new ConflictException();
                }
            }
            else
            {
                await using DbCommand bump = Command(connection, transaction,
                    "UPDATE messages SET version = version + 1" + (decision.ClearFlush ? ", flush_requested = 0" : "") + " WHERE id = @id AND version = @v");
                Add(bump, "id", messageId, DbType.String);
                Add(bump, "v", expectedVersion ?? -1, DbType.Int64);
                if (await bump.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                {
                    throw new ConflictException();
                }

                var attempted = decision.Attempts.Select(a => a.Recipient).ToHashSet(StringComparer.Ordinal);
                foreach (RecipientChange change in decision.Changes)
                {
                    await UpdateRecipientAsync(connection, transaction, messageId, change, attempted.Contains(change.Address), now, cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (AttemptRecord a in decision.Attempts)
            {
                await InsertAttemptAsync(connection, transaction, a, cancellationToken).ConfigureAwait(false);
            }

            foreach (OutboxRow row in outbox)
            {
                await using DbCommand insert = Command(connection, transaction, """
                    INSERT INTO outbox (id, message_id, kind, address, needs_content, payload, created_at)
                    VALUES (@i, @m, @k, @a, @n, @p, @t)
                    """);
                Add(insert, "i", row.Id, DbType.String);
                Add(insert, "m", row.MessageId, DbType.String);
                Add(insert, "k", (int)row.Kind, DbType.Int32);
                Add(insert, "a", row.Address, DbType.String);
                Add(insert, "n", row.NeedsContent ? 1 : 0, DbType.Int32);
                Add(insert, "p", row.Payload, DbType.String);
                Add(insert, "t", row.CreatedAt.ToUnixTimeMilliseconds(), DbType.Int64);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One attempt row; 0 when this attempt's row for the recipient exists already.</summary>
    private static async Task<int> InsertAttemptAsync(DbConnection connection, DbTransaction transaction, AttemptRecord a, CancellationToken cancellationToken)
    {
        await using DbCommand insert = Command(connection, transaction, """
            INSERT INTO attempts (attempt_id, message_id, attempt_number, recipient, outcome, code, status, diagnostic, host, attempted_at)
            VALUES (@a, @m, @n, @r, @o, @c, @s, @d, @h, @t) ON CONFLICT (attempt_id, recipient) DO NOTHING
            """);
        Add(insert, "a", a.AttemptId, DbType.String);
        Add(insert, "m", a.MessageId, DbType.String);
        Add(insert, "n", a.AttemptNumber, DbType.Int32);
        Add(insert, "r", a.Recipient, DbType.String);
        Add(insert, "o", (int)a.Outcome, DbType.Int32);
        Add(insert, "c", a.ReplyCode, DbType.Int32);
        Add(insert, "s", a.EnhancedStatus, DbType.String);
        Add(insert, "d", a.Diagnostic, DbType.String);
        Add(insert, "h", a.RemoteHost, DbType.String);
        Add(insert, "t", a.AttemptedAt.ToUnixTimeMilliseconds(), DbType.Int64);
        return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> InsertMessageAsync(DbConnection connection, DbTransaction transaction, MessageAccepted m, LifecycleDecision decision, long now, CancellationToken cancellationToken)
    {
        await using (DbCommand insert = Command(connection, transaction, """
            INSERT INTO messages (id, sender, envid, ret, smtputf8, received_at, size, version)
            VALUES (@i, @s, @e, @r, @u, @t, @z, 1) ON CONFLICT (id) DO NOTHING
            """))
        {
            Add(insert, "i", m.MessageId, DbType.String);
            Add(insert, "s", m.Envelope.Sender, DbType.String);
            Add(insert, "e", m.Envelope.EnvelopeId, DbType.String);
            Add(insert, "r", (int)m.Envelope.Return, DbType.Int32);
            Add(insert, "u", m.Envelope.SmtpUtf8 ? 1 : 0, DbType.Int32);
            Add(insert, "t", m.ReceivedAt.ToUnixTimeMilliseconds(), DbType.Int64);
            Add(insert, "z", (long)m.Content.Length, DbType.Int64);
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        var changes = decision.Changes.ToDictionary(c => c.Address, StringComparer.Ordinal);
        foreach (EnvelopeRecipient r in m.Envelope.Recipients.DistinctBy(r => r.Address, StringComparer.Ordinal))
        {
            RecipientChange? c = changes.GetValueOrDefault(r.Address);
            await using DbCommand insert = Command(connection, transaction, """
                INSERT INTO recipients (message_id, address, domain, notify, orcpt, state, work_id, next_attempt_at, updated_at)
                VALUES (@m, @a, @d, @n, @o, @st, @w, @next, @t) ON CONFLICT (message_id, address) DO NOTHING
                """);
            Add(insert, "m", m.MessageId, DbType.String);
            Add(insert, "a", r.Address, DbType.String);
            Add(insert, "d", r.Domain.ToLowerInvariant(), DbType.String);
            Add(insert, "n", (int)r.Notify, DbType.Int32);
            Add(insert, "o", r.OriginalRecipient, DbType.String);
            Add(insert, "st", (int)(c?.State ?? RecipientState.Queued), DbType.Int32);
            Add(insert, "w", c?.WorkId, DbType.String);
            Add(insert, "next", c?.NextAttemptAt?.ToUnixTimeMilliseconds(), DbType.Int64);
            Add(insert, "t", now, DbType.Int64);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private static async Task UpdateRecipientAsync(DbConnection connection, DbTransaction transaction, string messageId, RecipientChange change, bool attempted, long now, CancellationToken cancellationToken)
    {
        string reply = change.Reply is null ? "" : ", last_code = @c, last_status = @s, last_diagnostic = @d, last_host = @h";
        string count = attempted ? ", attempts = attempts + 1" : "";
        await using DbCommand update = Command(connection, transaction, $"""
            UPDATE recipients SET state = @st, work_id = @w, next_attempt_at = @next, dsn_sent = @dsn, updated_at = @now{reply}{count}
            WHERE message_id = @m AND address = @r
            """);
        Add(update, "st", (int)change.State, DbType.Int32);
        Add(update, "w", change.WorkId, DbType.String);
        Add(update, "next", change.NextAttemptAt?.ToUnixTimeMilliseconds(), DbType.Int64);
        Add(update, "dsn", (int)change.DsnSent, DbType.Int32);
        Add(update, "now", now, DbType.Int64);
        Add(update, "m", messageId, DbType.String);
        Add(update, "r", change.Address, DbType.String);
        if (change.Reply is { } r)
        {
            Add(update, "c", r.Code, DbType.Int32);
            Add(update, "s", r.EnhancedStatus, DbType.String);
            Add(update, "d", r.Diagnostic, DbType.String);
            Add(update, "h", r.RemoteHost, DbType.String);
        }

        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<OutboxRow>> GetOutboxAsync(string? messageId, int limit, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null,
                "SELECT id, message_id, kind, address, needs_content, payload, created_at FROM outbox"
                + (messageId is null ? "" : " WHERE message_id = @m") + " ORDER BY created_at, id LIMIT @l");
            if (messageId is not null)
            {
                Add(command, "m", messageId, DbType.String);
            }

            Add(command, "l", limit, DbType.Int32);
            var rows = new List<OutboxRow>();
            var dispatched = _dispatched.ToHashSet(StringComparer.Ordinal);
            await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string id = reader.GetString(0);
                if (!dispatched.Contains(id))
                {
                    rows.Add(new OutboxRow(id, reader.GetString(1), (OutboxKind)reader.GetInt32(2), reader.GetString(3), reader.GetInt32(4) != 0,
                        reader.GetString(5), Time(reader.GetInt64(6))));
                }
            }

            return rows;
        }
    }

    public void MarkDispatched(IEnumerable<string> outboxIds)
    {
        ArgumentNullException.ThrowIfNull(outboxIds);
        foreach (string id in outboxIds)
        {
            _dispatched.Enqueue(id);
        }
    }

    public async Task FlushDispatchedAsync(CancellationToken cancellationToken)
    {
        if (!_dispatched.IsEmpty)
        {
            await WriteAsync(async (connection, transaction) =>
            {
                await DeleteDispatchedAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the rows dispatched so far inside the caller's transaction. Should the transaction fail, the ids
    /// are lost from the queue and the rows stay: they are dispatched again later, a recognised duplicate.</summary>
    private async Task DeleteDispatchedAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        while (ids.Count < 500 && _dispatched.TryDequeue(out string? id))
        {
            ids.Add(id);
        }

        foreach (string[] chunk in ids.Chunk(50))
        {
            await using DbCommand delete = Command(connection, transaction, "");
            delete.CommandText = "DELETE FROM outbox WHERE id IN (" + string.Join(", ", chunk.Select((_, i) => "@d" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))) + ")";
            for (int i = 0; i < chunk.Length; i++)
            {
                Add(delete, "d" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), chunk[i], DbType.String);
            }

            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<string>> FindStrandedCandidatesAsync(DateTimeOffset deferredDueBefore, DateTimeOffset queuedReceivedBefore, int limit, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null, """
                SELECT DISTINCT r.message_id FROM recipients r JOIN messages m ON m.id = r.message_id
                WHERE (r.state = @deferred AND COALESCE(r.next_attempt_at, r.updated_at) <= @due)
                   OR (r.state = @queued AND m.received_at <= @received)
                LIMIT @l
                """);
            Add(command, "deferred", (int)RecipientState.Deferred, DbType.Int32);
            Add(command, "queued", (int)RecipientState.Queued, DbType.Int32);
            Add(command, "due", deferredDueBefore.ToUnixTimeMilliseconds(), DbType.Int64);
            Add(command, "received", queuedReceivedBefore.ToUnixTimeMilliseconds(), DbType.Int64);
            Add(command, "l", limit, DbType.Int32);
            var ids = new List<string>();
            await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids.Add(reader.GetString(0));
            }

            return ids;
        }
    }

    /// <summary>The message changed since it was read: the transaction is rolled back and the caller decides again.</summary>
    private sealed class ConflictException : Exception;
}
