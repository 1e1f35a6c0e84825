using System.Data.Common;
using EmailPipeline.Queue.State;
using Microsoft.Data.Sqlite;

namespace EmailPipeline.Queue.Tests.State;

/// <summary>Group commit on a real SQLite file: writes that queued together share one transaction, and one write's
/// conflict or failure is rolled back alone.</summary>
public sealed class CommitGroupTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"commit-group-{Guid.NewGuid():N}.db");
    private int _transactions;

    [Fact]
    public async Task Writes_that_queue_behind_a_commit_share_the_next_transaction_and_each_is_on_disk_when_its_caller_resumes()
    {
        await CreateTableAsync();
        using var group = new CommitGroup(OpenAsync, ex => ex is InvalidOperationException);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<int> first = group.WriteAsync(async (c, t) => { await gate.Task; return await InsertAsync(c, t, 0); }, CancellationToken.None);
        var rest = Enumerable.Range(1, 40).Select(i => group.WriteAsync((c, t) => InsertAsync(c, t, i), CancellationToken.None)).ToList();
        gate.SetResult();

        Assert.Equal(1, await first);
        Assert.All(await Task.WhenAll(rest), n => Assert.Equal(1, n));
        Assert.Equal(41, await CountAsync());
        Assert.Equal(2, _transactions); // the first alone (it held the lock), then the 40 that waited for it together
    }

    [Fact]
    public async Task A_rejected_write_returns_default_and_a_failed_one_throws_while_the_rest_of_its_group_commits()
    {
        await CreateTableAsync();
        using var group = new CommitGroup(OpenAsync, ex => ex is InvalidOperationException);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<int> holder = group.WriteAsync(async (c, t) => { await gate.Task; return await InsertAsync(c, t, 0); }, CancellationToken.None);
        Task<int> before = group.WriteAsync((c, t) => InsertAsync(c, t, 1), CancellationToken.None);
        Task<int> rejected = group.WriteAsync<int>(async (c, t) => { await InsertAsync(c, t, 2); throw new InvalidOperationException("version conflict"); }, CancellationToken.None);
        Task<int> failed = group.WriteAsync<int>(async (c, t) => { await InsertAsync(c, t, 3); throw new IOException("disk full"); }, CancellationToken.None);
        Task<int> after = group.WriteAsync((c, t) => InsertAsync(c, t, 4), CancellationToken.None);
        gate.SetResult();

        Assert.Equal(1, await holder);
        Assert.Equal(1, await before);
        Assert.Equal(0, await rejected);
        Assert.Equal("disk full", (await Assert.ThrowsAsync<IOException>(() => failed)).Message);
        Assert.Equal(1, await after);
        Assert.Equal([0, 1, 4], await IdsAsync()); // 2 and 3 rolled back to their savepoints, nothing else
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (string f in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(f);
        }
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _transactions);
        var connection = new SqliteConnection($"Data Source={_path}");
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private async Task CreateTableAsync()
    {
        await using DbConnection c = await OpenAsync(CancellationToken.None);
        await using DbCommand command = c.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY);";
        await command.ExecuteNonQueryAsync();
        _transactions = 0;
    }

    private static async Task<int> InsertAsync(DbConnection connection, DbTransaction transaction, int id)
    {
        await using DbCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO t (id) VALUES ({id})";
        return await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync() => (await IdsAsync()).Count;

    private async Task<List<long>> IdsAsync()
    {
        await using var c = new SqliteConnection($"Data Source={_path}");
        await c.OpenAsync();
        await using DbCommand command = c.CreateCommand();
        command.CommandText = "SELECT id FROM t ORDER BY id";
        var ids = new List<long>();
        await using DbDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }
}
