using System.Collections.Concurrent;
using System.Data.Common;

namespace EmailPipeline.Queue.State;

/// <summary>
/// Group commit for an engine with one writer at a time (SQLite): writes that arrive while another transaction is
/// committing wait together, and the next writer to get the lock runs all of them in one transaction, each inside a
/// savepoint of its own, with one commit — one fsync — for the group. A write that conflicts (an optimistic version
/// check, a duplicate attempt) or fails is rolled back to its savepoint alone; the others commit. Nobody's write is
/// acknowledged before the commit that holds it, so the promise is unchanged: what a caller was told is on disk.
/// </summary>
public sealed class CommitGroup(Func<CancellationToken, Task<DbConnection>> open, Func<Exception, bool> isRejection) : IDisposable
{
    /// <summary>Writes per transaction at most: bounds the time a group holds the lock, and so a late writer's wait.</summary>
    public const int MaxGroup = 64;

    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly ConcurrentQueue<Pending> _pending = new();

    /// <summary>Runs <paramref name="work"/> in the next group commit. A rejection (see the constructor) gives default.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        var pending = new Pending(async (c, t) => await work(c, t).ConfigureAwait(false));
        _pending.Enqueue(pending);
        Task acquired = _writer.WaitAsync(cancellationToken);
        if (await Task.WhenAny(pending.Done, acquired).ConfigureAwait(false) == pending.Done)
        {
            // Another writer's group took ours along; hand the lock on if we get it meanwhile.
            _ = acquired.ContinueWith(static (t, s) => ((SemaphoreSlim)s!).Release(), _writer, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            return As<T>(await pending.Done.ConfigureAwait(false));
        }

        await acquired.ConfigureAwait(false); // throws if cancelled while waiting (then ours may still run in a group: idempotent)
        try
        {
            if (!pending.Done.IsCompleted)
            {
                await CommitAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _writer.Release();
        }

        return As<T>(await pending.Done.ConfigureAwait(false));
    }

    public void Dispose() => _writer.Dispose();

    // A rejected write's result is default, also for a value type (unboxing null would throw).
    private static T As<T>(object? value) => value is null ? default! : (T)value;

    private async Task CommitAsync()
    {
        var group = new List<Pending>(MaxGroup);
        while (group.Count < MaxGroup && _pending.TryDequeue(out Pending? next))
        {
            group.Add(next);
        }

        var results = new (object? Value, Exception? Error)[group.Count];
        try
        {
            // Not the caller's token from here on: the group holds other callers' writes.
            DbConnection connection = await open(CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                DbTransaction transaction = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    for (int i = 0; i < group.Count; i++)
                    {
                        string savepoint = "w" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        await transaction.SaveAsync(savepoint, CancellationToken.None).ConfigureAwait(false);
                        try
                        {
                            results[i] = (await group[i].Work(connection, transaction).ConfigureAwait(false), null);
                        }
                        catch (Exception ex)
                        {
                            await transaction.RollbackAsync(savepoint, CancellationToken.None).ConfigureAwait(false);
                            results[i] = (null, isRejection(ex) ? null : ex);
                        }

                        await transaction.ReleaseAsync(savepoint, CancellationToken.None).ConfigureAwait(false);
                    }

                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            // The transaction did not commit: nothing of the group is on disk, and every writer in it is told so.
            foreach (Pending p in group)
            {
                p.Fail(ex);
            }

            return;
        }

        for (int i = 0; i < group.Count; i++)
        {
            if (results[i].Error is { } error)
            {
                group[i].Fail(error);
            }
            else
            {
                group[i].Complete(results[i].Value);
            }
        }

    }

    private sealed class Pending(Func<DbConnection, DbTransaction, Task<object?>> work)
    {
        private readonly TaskCompletionSource<object?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Func<DbConnection, DbTransaction, Task<object?>> Work { get; } = work;

        public Task<object?> Done => _done.Task;

        public void Complete(object? value) => _done.TrySetResult(value);

        public void Fail(Exception error) => _done.TrySetException(error);
    }
}
