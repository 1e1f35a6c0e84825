using System.Text;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Tests.Infrastructure;
using RabbitMQ.Client;
using static EmailPipeline.Queue.Tests.Infrastructure.TestMessages;

namespace EmailPipeline.Queue.Tests.Cli;

/// <summary>Flush and dead-letter commands against a real RabbitMQ virtual host of this class's own.</summary>
public sealed class BrokerCommandTests(TestVirtualHost vhost) : IClassFixture<TestVirtualHost>, IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emailpipeline-cli-broker-").FullName;
    private IConnection _connection = null!;
    private IChannel _channel = null!;

    private string Store => "sqlite:" + Path.Combine(_dir, "queue.db");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await using (SqlQueueStore store = new SqliteQueueStore(Path.Combine(_dir, "queue.db"), TimeProvider.System))
        {
            await store.InitializeAsync(Ct);
        }

        _connection = await new ConnectionFactory { Uri = new Uri(vhost.Url) }.CreateConnectionAsync(Ct);
        _channel = await _connection.CreateChannelAsync(cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task DeclareQuorumAsync(string name, Dictionary<string, object?>? extra = null)
    {
        var args = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        foreach (KeyValuePair<string, object?> kv in extra ?? [])
        {
            args[kv.Key] = kv.Value;
        }

        await _channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments: args, cancellationToken: Ct);
    }

    // Declared as the Queue service declares its delay steps; a long TTL so nothing expires during the test.
    private Task DeclareDelayQueueAsync(string name) => DeclareQuorumAsync(name, new()
    {
        ["x-message-ttl"] = 3_600_000,
        ["x-dead-letter-exchange"] = "",
        ["x-dead-letter-routing-key"] = "queue-retry-due",
        ["x-dead-letter-strategy"] = "at-least-once",
        ["x-overflow"] = "reject-publish",
    });

    private async Task PublishAsync(string queue, string body, Dictionary<string, object?> headers)
    {
        var props = new BasicProperties { MessageId = body, Persistent = true, ContentType = "application/vnd.masstransit+json", Headers = headers };
        await _channel.BasicPublishAsync("", queue, mandatory: true, props, Encoding.UTF8.GetBytes(body), Ct);
    }

    private async Task<List<BasicGetResult>> DrainAsync(string queue)
    {
        var got = new List<BasicGetResult>();
        while (await _channel.BasicGetAsync(queue, autoAck: true, Ct) is { } r)
        {
            got.Add(r);
        }

        return got;
    }

    private async Task<uint> CountAsync(string queue) => (await _channel.QueueDeclarePassiveAsync(queue, Ct)).MessageCount;

    // A requeue (nack) is applied by the queue a moment after the peeking channel closes; the count lags behind.
    private async Task<uint> EventuallyCountAsync(string queue, uint expected)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(15);
        uint count;
        while ((count = await CountAsync(queue)) != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }

        return count;
    }

    [Fact]
    public async Task Flush_marks_deferred_messages_and_moves_every_delay_queue_into_retry_due()
    {
        var deferred = Accepted("alice@example.com", DateTimeOffset.UtcNow.AddHours(-1), "bob@example.org");
        await using (SqlQueueStore store = new SqliteQueueStore(Path.Combine(_dir, "queue.db"), TimeProvider.System))
        {
            await store.AddMessageAsync(deferred, Ct);
            await store.RecordAttemptAsync(Attempt(deferred.MessageId, "a1", 1, DateTimeOffset.UtcNow, Deferred("bob@example.org")), Ct);
        }

        await DeclareQuorumAsync("queue-retry-due");
        await DeclareDelayQueueAsync("queue-delay-5m");
        await DeclareDelayQueueAsync("queue-delay-1h");
        await PublishAsync("queue-delay-5m", "m1", new() { ["MT-Host-MachineName"] = "q1", ["attempt"] = 2 });
        await PublishAsync("queue-delay-5m", "m2", new() { ["attempt"] = 3 });
        await PublishAsync("queue-delay-1h", "m3", new() { ["attempt"] = 4 });

        CliRun r = await CliRunner.RunAsync("queue", "flush", "--store", Store, "--rabbitmq", vhost.Url);

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("flush requested for 1 message(s)", r.Output, StringComparison.Ordinal);
        Assert.Contains("queue-delay-5m: moved 2 message(s) to queue-retry-due", r.Output, StringComparison.Ordinal);
        Assert.Contains("queue-delay-1h: moved 1 message(s) to queue-retry-due", r.Output, StringComparison.Ordinal);
        Assert.Equal(0u, await CountAsync("queue-delay-5m"));
        Assert.Equal(0u, await CountAsync("queue-delay-1h"));
        List<BasicGetResult> due = await DrainAsync("queue-retry-due");
        Assert.Equal(["m1", "m2", "m3"], due.Select(d => Encoding.UTF8.GetString(d.Body.Span)).Order());
        BasicGetResult m1 = due.Single(d => d.BasicProperties.MessageId == "m1");
        Assert.Equal("application/vnd.masstransit+json", m1.BasicProperties.ContentType);
        Assert.Equal("q1", Encoding.UTF8.GetString((byte[])m1.BasicProperties.Headers!["MT-Host-MachineName"]!));
        Assert.Equal(2, Convert.ToInt32(m1.BasicProperties.Headers!["attempt"], System.Globalization.CultureInfo.InvariantCulture));

        await using SqlQueueStore check = new SqliteQueueStore(Path.Combine(_dir, "queue.db"), TimeProvider.System);
        Assert.True((await check.GetAsync(deferred.MessageId, Ct))!.FlushRequested);
    }

    [Fact]
    public async Task Flush_moves_no_more_than_max()
    {
        await DeclareQuorumAsync("queue-retry-due");
        await DeclareDelayQueueAsync("queue-delay-2m");
        for (int i = 0; i < 5; i++)
        {
            await PublishAsync("queue-delay-2m", "n" + i, new());
        }

        CliRun r = await CliRunner.RunAsync("queue", "flush", "--store", Store, "--rabbitmq", vhost.Url, "--queue", "queue-delay-2m", "--max", "3");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal(2u, await CountAsync("queue-delay-2m"));
        Assert.Equal(3, (await DrainAsync("queue-retry-due")).Count);
        await DrainAsync("queue-delay-2m");
    }

    [Fact]
    public async Task Dead_letters_are_listed_peeked_replayed_and_purged()
    {
        await DeclareQuorumAsync("queue-delivery-attempted");
        await DeclareQuorumAsync("queue-delivery-attempted_error");
        await DeclareQuorumAsync("delivery-requested_error");
        var fault = new Dictionary<string, object?>
        {
            ["MT-Fault-ExceptionType"] = "System.InvalidOperationException",
            ["MT-Fault-Message"] = "store unavailable",
            ["MT-Reason"] = "fault",
            ["MT-Host-MachineName"] = "q1",
        };
        await PublishAsync("queue-delivery-attempted_error", """{"messageId":"x1","messageType":["urn:message:EmailPipeline.Contracts:DeliveryAttempted"]}""", fault);
        await PublishAsync("queue-delivery-attempted_error", """{"messageId":"x2","messageType":["urn:message:EmailPipeline.Contracts:DeliveryAttempted"]}""", fault);
        await PublishAsync("delivery-requested_error", "not json", new());

        CliRun list = await CliRunner.RunAsync("deadletters", "list", "--rabbitmq", vhost.Url);
        Assert.True(list.ExitCode == 0, list.Error);
        Assert.Matches(@"queue-delivery-attempted_error\s+2", list.Output);
        Assert.Matches(@"delivery-requested_error\s+1", list.Output);

        CliRun show = await CliRunner.RunAsync("deadletters", "show", "queue-delivery-attempted_error", "--rabbitmq", vhost.Url);
        Assert.True(show.ExitCode == 0, show.Error);
        Assert.Contains("urn:message:EmailPipeline.Contracts:DeliveryAttempted", show.Output, StringComparison.Ordinal);
        Assert.Contains("MT-Fault-Message:       store unavailable", show.Output, StringComparison.Ordinal);
        Assert.Contains("MT-Fault-ExceptionType: System.InvalidOperationException", show.Output, StringComparison.Ordinal);
        Assert.Contains("#2 message id:", show.Output, StringComparison.Ordinal);
        Assert.Equal(2u, await EventuallyCountAsync("queue-delivery-attempted_error", 2));

        CliRun replay = await CliRunner.RunAsync("deadletters", "replay", "queue-delivery-attempted_error", "--rabbitmq", vhost.Url);
        Assert.True(replay.ExitCode == 0, replay.Error);
        Assert.Contains("replayed 2 message(s) from queue-delivery-attempted_error to queue-delivery-attempted", replay.Output, StringComparison.Ordinal);
        Assert.Equal(0u, await CountAsync("queue-delivery-attempted_error"));
        List<BasicGetResult> back = await DrainAsync("queue-delivery-attempted");
        Assert.Equal(2, back.Count);
        Assert.All(back, b => Assert.False(b.BasicProperties.Headers!.ContainsKey("MT-Fault-Message")));
        Assert.All(back, b => Assert.True(b.BasicProperties.Headers!.ContainsKey("MT-Host-MachineName")));

        // Not JSON, so it cannot be bounced: only an explicit --no-dsn removes it (DeadLetterPurgeTests has the rest).
        CliRun purge = await CliRunner.RunAsync("deadletters", "purge", "delivery-requested_error", "--no-dsn", "--rabbitmq", vhost.Url);
        Assert.True(purge.ExitCode == 0, purge.Error);
        Assert.Contains("delivery-requested_error: 0 bounced (DSN as NOTIFY asks), 1 removed without DSN, 0 left in place", purge.Output, StringComparison.Ordinal);
        Assert.Equal(0u, await CountAsync("delivery-requested_error"));
    }

    [Fact]
    public async Task Replay_of_a_queue_that_does_not_exist_exits_1()
    {
        CliRun r = await CliRunner.RunAsync("deadletters", "replay", "nothing-here_error", "--rabbitmq", vhost.Url);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("queue 'nothing-here_error' does not exist", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_broker_is_one_line_and_exit_3()
    {
        CliRun r = await CliRunner.RunAsync("deadletters", "list", "--rabbitmq", "amqp://guest:guest@127.0.0.1:1/");

        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith("emailpipeline: cannot reach RabbitMQ at 127.0.0.1:1", r.Error, StringComparison.Ordinal);
    }
}
