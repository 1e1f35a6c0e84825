using EmailPipeline.Testing;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Tests.Infrastructure;
using Npgsql;

namespace EmailPipeline.Queue.Tests.State;

public sealed class PostgresQueueStoreTests(PostgresDatabase database) : QueueStoreBehaviour, IClassFixture<PostgresDatabase>
{
    protected override async Task<SqlQueueStore> CreateEmptyStoreAsync()
    {
        // One database per class; each test starts from empty tables.
        var store = new PostgresQueueStore(database.ConnectionString, Clock);
        await store.InitializeAsync(Ct);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var truncate = new NpgsqlCommand("TRUNCATE messages, recipients, attempts", connection);
        await truncate.ExecuteNonQueryAsync(Ct);
        return store;
    }

    protected override SqlQueueStore Reopen() => new PostgresQueueStore(database.ConnectionString, Clock);

    [Fact]
    public async Task A_destination_lock_holds_across_queue_replicas_sharing_the_database()
    {
        await using SqlQueueStore replica = Reopen();
        IAsyncDisposable held = await Store.LockDestinationAsync("shaped.test", Ct);
        Task<IAsyncDisposable> waiting = replica.LockDestinationAsync("shaped.test", Ct);
        await Task.Delay(500, Ct);
        Assert.False(waiting.IsCompleted, "the other replica decided on the domain while this one held it");
        await held.DisposeAsync();
        await (await waiting.WaitAsync(TimeSpan.FromSeconds(10), Ct)).DisposeAsync();
    }
}
