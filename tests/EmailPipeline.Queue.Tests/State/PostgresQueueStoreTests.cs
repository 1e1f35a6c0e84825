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
}
