using EmailPipeline.Queue.State;

namespace EmailPipeline.Queue.Tests.State;

public sealed class SqliteQueueStoreTests : QueueStoreBehaviour
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emailpipeline-store-").FullName;

    private string DbPath => Path.Combine(_dir, "nested", "queue.db");

    protected override Task<SqlQueueStore> CreateEmptyStoreAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DbPath)!);
        return Task.FromResult<SqlQueueStore>(new SqliteQueueStore(DbPath, Clock));
    }

    protected override SqlQueueStore Reopen() => new SqliteQueueStore(DbPath, Clock);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_file_is_in_wal_mode()
    {
        await Store.AddMessageAsync(Infrastructure.TestMessages.Accepted("a@example.com", Infrastructure.TestMessages.Epoch, "b@example.org"), Ct);

        Assert.True(File.Exists(DbPath + "-wal"));
    }
}
