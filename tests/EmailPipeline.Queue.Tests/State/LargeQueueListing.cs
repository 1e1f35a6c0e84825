using EmailPipeline.Testing;
using System.Diagnostics;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Tests.Infrastructure;
using Npgsql;

namespace EmailPipeline.Queue.Tests.State;

/// <summary>
/// 100,000 queued messages (two recipients each), then every filter of the operator's list. The bound asserted is
/// generous because this runs on a shared 2-core machine; the measured times are written to the test output.
/// </summary>
public abstract class LargeQueueListing : IAsyncLifetime
{
    private const int Messages = 100_000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    private readonly ManualTime _clock = new(TestMessages.Epoch.AddDays(2));
    private SqlQueueStore? _store;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected ManualTime Clock => _clock;

    protected abstract Task<SqlQueueStore> CreateEmptyStoreAsync();

    /// <summary>Test set-up shortcut: mark states in bulk with plain SQL on the store's database.</summary>
    protected abstract Task ExecuteAsync(string sql);

    public async ValueTask InitializeAsync()
    {
        _store = await CreateEmptyStoreAsync();
        await _store.InitializeAsync(Ct);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Listing_100k_queued_messages_by_every_filter_is_fast_and_right()
    {
        SqlQueueStore store = _store!;
        var messages = new List<MessageAccepted>(Messages);
        for (int i = 0; i < Messages; i++)
        {
            // One message a second over ~28 hours; 100 senders, 50 domains.
            DateTimeOffset at = TestMessages.Epoch.AddSeconds(i);
            messages.Add(TestMessages.Accepted(
                $"M{i:D9}", $"sender{i % 100}@example.com", at, $"user{i}@domain{i % 50}.example", $"list{i % 7}@shared.example"));
        }

        var fill = Stopwatch.StartNew();
        Assert.Equal(Messages, await store.AddMessagesAsync(messages, Ct));
        fill.Stop();

        // 10% deferred (every 10th), 30% fully delivered (i % 10 in 1..3).
        await ExecuteAsync("UPDATE recipients SET state = 1 WHERE message_id IN (SELECT id FROM messages WHERE (received_at / 1000) % 10 = 0)");
        await ExecuteAsync("UPDATE recipients SET state = 2 WHERE message_id IN (SELECT id FROM messages WHERE (received_at / 1000) % 10 IN (1, 2, 3))");
        await ExecuteAsync("ANALYZE");

        var timings = new List<string> { $"fill {Messages} messages: {fill.ElapsedMilliseconds} ms" };
        async Task<IReadOnlyList<MessageRecord>> Timed(string name, QueueFilter filter)
        {
            IReadOnlyList<MessageRecord> result = [];
            var best = TimeSpan.MaxValue;
            for (int run = 0; run < 3; run++)
            {
                var sw = Stopwatch.StartNew();
                result = await store.ListAsync(filter, Ct);
                sw.Stop();
                best = sw.Elapsed < best ? sw.Elapsed : best;
            }

            timings.Add($"{name}: {best.TotalMilliseconds:F1} ms ({result.Count} messages)");
            Assert.True(best < Bound, $"{name} took {best}");
            return result;
        }

        IReadOnlyList<MessageRecord> all = await Timed("default (not final, limit 1000)", new QueueFilter());
        Assert.Equal(1000, all.Count);
        Assert.DoesNotContain(all, m => m.Recipients.All(r => r.State.IsFinal()));
        Assert.Equal("M000000000", all[0].MessageId);

        IReadOnlyList<MessageRecord> bySender = await Timed("sender", new QueueFilter { Sender = "sender45@example.com", Limit = 0 });
        Assert.Equal(1000, bySender.Count);
        Assert.All(bySender, m => Assert.Equal("sender45@example.com", m.Sender));

        IReadOnlyList<MessageRecord> byRecipient = await Timed("recipient", new QueueFilter { Recipient = "user77770@domain20.example" });
        Assert.Equal("M000077770", Assert.Single(byRecipient).MessageId);

        IReadOnlyList<MessageRecord> byDomainDeferred = await Timed("domain + deferred", new QueueFilter { Domain = "domain20.example", State = RecipientState.Deferred, Limit = 0 });
        Assert.Equal(2000, byDomainDeferred.Count);

        IReadOnlyList<MessageRecord> deferred = await Timed("deferred", new QueueFilter { State = RecipientState.Deferred, Limit = 0 });
        Assert.Equal(Messages / 10, deferred.Count);

        // Received from Epoch to Epoch + 99,999 s; the clock is at Epoch + 2 days, so "older than 1 day" is the
        // first 86,400 seconds, of which 70% are still in the queue.
        IReadOnlyList<MessageRecord> old = await Timed("older than 1 day (limit 1000)", new QueueFilter { OlderThan = TimeSpan.FromDays(1) });
        Assert.Equal(1000, old.Count);
        Assert.Equal(60_481, (await store.ListAsync(new QueueFilter { OlderThan = TimeSpan.FromDays(1), Limit = 0 }, Ct)).Count);
        IReadOnlyList<MessageRecord> newest = await store.ListAsync(new QueueFilter { OlderThan = TimeSpan.FromDays(1), Limit = 0, State = RecipientState.Deferred }, Ct);
        Assert.True(newest[^1].ReceivedAt <= Clock.Now - TimeSpan.FromDays(1));

        IReadOnlyDictionary<RecipientState, long> counts = await store.CountByStateAsync(Ct);
        Assert.Equal(2L * Messages / 10, counts[RecipientState.Deferred]);

        foreach (string line in timings)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"[{GetType().Name}] {line}");
        }
    }
}

// One collection: the two 100k fills would otherwise share the 2 cores and measure each other.
[Collection(nameof(LargeQueueListing))]
public sealed class SqliteLargeQueueListing : LargeQueueListing
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emailpipeline-large-").FullName;

    protected override Task<SqlQueueStore> CreateEmptyStoreAsync() =>
        Task.FromResult<SqlQueueStore>(new SqliteQueueStore(Path.Combine(_dir, "queue.db"), Clock));

    protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "queue.db")};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

[Collection(nameof(LargeQueueListing))]
public sealed class PostgresLargeQueueListing(PostgresDatabase database) : LargeQueueListing, IClassFixture<PostgresDatabase>
{
    protected override Task<SqlQueueStore> CreateEmptyStoreAsync() =>
        Task.FromResult<SqlQueueStore>(new PostgresQueueStore(database.ConnectionString, Clock));

    protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
