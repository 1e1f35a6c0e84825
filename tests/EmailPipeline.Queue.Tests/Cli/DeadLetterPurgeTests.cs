using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EmailPipeline.Cli;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.Lifecycle;
using EmailPipeline.Queue.Scheduling;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Tests.Infrastructure;
using RabbitMQ.Client;
using static EmailPipeline.Queue.Tests.Infrastructure.TestMessages;

namespace EmailPipeline.Queue.Tests.Cli;

/// <summary>
/// <c>deadletters purge</c> and <c>replay</c> against a real RabbitMQ virtual host: what a purge publishes for each kind
/// of dead letter (read back from a queue bound to the message-type exchange, where the Queue service would take it),
/// what it leaves, and how every run is bounded. The pipeline-level proof (the Queue bounces, the DSN arrives) is in
/// EmailPipeline.Durability.Tests.
/// </summary>
public sealed class DeadLetterPurgeTests(TestVirtualHost vhost) : IClassFixture<TestVirtualHost>, IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly byte[] Body = "Subject: lost\r\n\r\nthe only copy\r\n"u8.ToArray();

    // Each test has queues of its own: the class shares one virtual host.
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..8] + "-";
    private readonly string _dir = Directory.CreateTempSubdirectory("emailpipeline-cli-purge-").FullName;
    private readonly List<string> _captures = [];
    private IConnection _connection = null!;
    private IChannel _channel = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string StorePath => Path.Combine(_dir, "queue.db");

    private string ErrorQueue => _prefix + "delivery-requested_error";

    public async ValueTask InitializeAsync()
    {
        await using (SqlQueueStore store = new SqliteQueueStore(StorePath, TimeProvider.System))
        {
            await store.InitializeAsync(Ct);
        }

        _connection = await new ConnectionFactory { Uri = new Uri(vhost.Url) }.CreateConnectionAsync(Ct);
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Ct);
        await _channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (string queue in _captures.Append(ErrorQueue))
        {
            await _channel.QueueDeleteAsync(queue, cancellationToken: CancellationToken.None);
        }

        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_dead_delivery_request_becomes_an_operator_bounce_of_its_attempt()
    {
        string capture = await CaptureAsync<DeliveryAttempted>();
        DeliveryRequested request = Request("m1", "att-1", "alice@example.com", "bob@example.org", "carol@example.org");
        await PublishAsync(ErrorQueue, Envelope(request));

        CliRun r = await PurgeAsync(ErrorQueue);

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("DeliveryRequested: bounced: m1: 2 recipient(s) at example.org (attempt att-1) bounced through the Queue; the Queue sends the failure DSN to <alice@example.com>", r.Output, StringComparison.Ordinal);
        Assert.Contains($"{ErrorQueue}: 1 bounced (DSN as NOTIFY asks), 0 removed without DSN, 0 left in place", r.Output, StringComparison.Ordinal);
        Assert.Equal(0u, await CountAsync(ErrorQueue));
        (DeliveryAttempted bounce, BasicGetResult raw) = Assert.Single(await DrainAsync<DeliveryAttempted>(capture));
        Assert.Equal(("m1", "att-1", "example.org", 2), (bounce.MessageId, bounce.AttemptId, bounce.Destination, bounce.AttemptNumber));
        Assert.Equal(["bob@example.org", "carol@example.org"], bounce.Outcomes.Select(o => o.Recipient));
        Assert.All(bounce.Outcomes, o => Assert.Equal(
            new RecipientOutcome(o.Recipient, DeliveryOutcome.Bounced, 0, "5.3.0", "Removed from the dead-letter queue by the mail system administrator", null), o));
        Assert.Equal(Body, bounce.Content);
        Assert.Equal("application/vnd.masstransit+json", raw.BasicProperties.ContentType);
        Assert.Equal(DeliveryModes.Persistent, raw.BasicProperties.DeliveryMode);
        Assert.Contains("\"outcome\":\"Bounced\"", Encoding.UTF8.GetString(raw.Body.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dead_retry_bounces_the_attempt_waiting_in_its_request()
    {
        string capture = await CaptureAsync<DeliveryAttempted>();
        await PublishAsync(ErrorQueue, Envelope(new DeliveryRetryDue(Request("m2", "att-7", "", "dave@example.net") with { AttemptNumber = 4 }, DateTimeOffset.UtcNow)));

        CliRun r = await PurgeAsync(ErrorQueue);

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("DeliveryRetryDue: bounced: m2: 1 recipient(s) at example.net (attempt att-7) bounced through the Queue; no DSN (null sender)", r.Output, StringComparison.Ordinal);
        (DeliveryAttempted bounce, _) = Assert.Single(await DrainAsync<DeliveryAttempted>(capture));
        Assert.Equal(("m2", "att-7", 4, DeliveryOutcome.Bounced), (bounce.MessageId, bounce.AttemptId, bounce.AttemptNumber, Assert.Single(bounce.Outcomes).Outcome));
    }

    [Fact]
    public async Task A_dead_attempt_keeps_its_deliveries_and_remote_bounces_and_bounces_the_rest()
    {
        string capture = await CaptureAsync<DeliveryAttempted>();
        DeliveryAttempted attempt = Attempt("m3", "att-3", 2, DateTimeOffset.UtcNow, Delivered("a@example.org"), Deferred("b@example.org"), Bounced("c@example.org")) with { Content = Body };
        await PublishAsync(ErrorQueue, Envelope(attempt));

        CliRun r = await PurgeAsync(ErrorQueue);

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("bounced: m3: 2 recipient(s) at example.org (attempt att-3) bounced through the Queue, 1 delivered", r.Output, StringComparison.Ordinal);
        (DeliveryAttempted back, _) = Assert.Single(await DrainAsync<DeliveryAttempted>(capture));
        Assert.Equal(("att-3", 2), (back.AttemptId, back.AttemptNumber));
        Assert.Equal(Delivered("a@example.org"), back.Outcomes[0]);
        Assert.Equal(new RecipientOutcome("b@example.org", DeliveryOutcome.Bounced, 0, "5.3.0",
            "Removed from the dead-letter queue by the mail system administrator; last reply: 451 4.7.1 Greylisted", null), back.Outcomes[1]);
        Assert.Equal(Bounced("c@example.org"), back.Outcomes[2]);
    }

    [Fact]
    public async Task Unreadable_letters_are_left_in_place_and_only_no_dsn_removes_them()
    {
        await PublishAsync(ErrorQueue, "not json"u8.ToArray());
        JsonObject noRequest = Envelope(new DeliveryRetryDue(null!, DateTimeOffset.UtcNow));
        await PublishAsync(ErrorQueue, noRequest);

        CliRun kept = await PurgeAsync(ErrorQueue);

        Assert.True(kept.ExitCode == 0, kept.Error);
        Assert.Contains("left in place: cannot be read: not JSON", kept.Output, StringComparison.Ordinal);
        Assert.Contains("DeliveryRetryDue: left in place: cannot be bounced", kept.Output, StringComparison.Ordinal);
        Assert.Contains($"{ErrorQueue}: 0 bounced (DSN as NOTIFY asks), 0 removed without DSN, 2 left in place", kept.Output, StringComparison.Ordinal);
        Assert.Contains("--no-dsn' removes it without a DSN", kept.Output, StringComparison.Ordinal);
        Assert.Equal(2u, await EventuallyCountAsync(ErrorQueue, 2));

        CliRun removed = await PurgeAsync(ErrorQueue, "--no-dsn");

        Assert.True(removed.ExitCode == 0, removed.Error);
        Assert.Contains($"{ErrorQueue}: 0 bounced (DSN as NOTIFY asks), 2 removed without DSN, 0 left in place", removed.Output, StringComparison.Ordinal);
        Assert.Equal(0u, await CountAsync(ErrorQueue));
    }

    [Fact]
    public async Task No_dsn_removes_readable_letters_without_publishing_anything()
    {
        string capture = await CaptureAsync<DeliveryAttempted>();
        await PublishAsync(ErrorQueue, Envelope(Request("m4", "att-4", "alice@example.com", "bob@example.org")));

        CliRun r = await PurgeAsync(ErrorQueue, "--no-dsn");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("DeliveryRequested: removed without DSN: --no-dsn", r.Output, StringComparison.Ordinal);
        Assert.Equal(0u, await CountAsync(ErrorQueue));
        Assert.Empty(await DrainAsync<DeliveryAttempted>(capture));
    }

    [Fact]
    public async Task A_dry_run_says_what_would_happen_and_changes_nothing()
    {
        string capture = await CaptureAsync<DeliveryAttempted>();
        await PublishAsync(ErrorQueue, Envelope(Request("m5", "att-5", "alice@example.com", "bob@example.org")));
        await PublishAsync(ErrorQueue, "garbage"u8.ToArray());

        CliRun r = await PurgeAsync(ErrorQueue, "--dry-run");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("#1 ", r.Output, StringComparison.Ordinal);
        Assert.Contains("would be bounced: m5", r.Output, StringComparison.Ordinal);
        Assert.Contains("would be left in place: cannot be read: not JSON", r.Output, StringComparison.Ordinal);
        Assert.Contains($"{ErrorQueue}: dry run, nothing changed: 1 would be bounced, 0 removed without DSN, 1 left in place", r.Output, StringComparison.Ordinal);
        Assert.Equal(2u, await EventuallyCountAsync(ErrorQueue, 2));
        Assert.Empty(await DrainAsync<DeliveryAttempted>(capture));
    }

    [Fact]
    public async Task A_purge_takes_at_most_count_letters()
    {
        string capture = await CaptureAsync<DeliveryAttempted>();
        for (int i = 0; i < 3; i++)
        {
            await PublishAsync(ErrorQueue, Envelope(Request("m6-" + i, "att-" + i, "alice@example.com", "bob@example.org")));
        }

        CliRun r = await PurgeAsync(ErrorQueue, "--count", "2");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains($"{ErrorQueue}: 2 bounced", r.Output, StringComparison.Ordinal);
        Assert.Contains("stopped at --count 2: 1 more were waiting; run purge again for the rest", r.Output, StringComparison.Ordinal);
        Assert.Equal(1u, await CountAsync(ErrorQueue));
        Assert.Equal(2, (await DrainAsync<DeliveryAttempted>(capture)).Count);
    }

    [Fact]
    public async Task A_bounce_that_no_queue_takes_leaves_the_letter_and_exits_3()
    {
        // The exchange exists (the Queue ran once) but nothing is bound to it: the mandatory publish comes back.
        await _channel.ExchangeDeclareAsync(PipelineQueues.ExchangeOf<DeliveryAttempted>(), ExchangeType.Fanout, durable: true, cancellationToken: Ct);
        await PublishAsync(ErrorQueue, Envelope(Request("m7", "att-7", "alice@example.com", "bob@example.org")));

        CliRun r = await PurgeAsync(ErrorQueue);

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("was returned unroutable (no queue is bound to EmailPipeline.Contracts:DeliveryAttempted)", r.Error, StringComparison.Ordinal);
        Assert.Equal(1u, await EventuallyCountAsync(ErrorQueue, 1));
    }

    [Fact]
    public async Task An_accepted_message_the_queue_never_recorded_gets_a_failure_dsn_built_here()
    {
        string capture = await CaptureAsync<MessageAccepted>();
        MessageAccepted lost = Accepted("alice@example.com", DateTimeOffset.UtcNow.AddMinutes(-3), "bob@example.org") with { Content = Body };
        lost = lost with
        {
            Envelope = lost.Envelope with
            {
                Recipients = [.. lost.Envelope.Recipients, new EnvelopeRecipient("carol@example.org", DsnNotify.Never, null)],
                Return = DsnReturn.Full,
            },
        };
        MessageAccepted fromNobody = Accepted("", DateTimeOffset.UtcNow, "dave@example.org");
        await PublishAsync(ErrorQueue, Envelope(lost));
        await PublishAsync(ErrorQueue, Envelope(fromNobody));

        CliRun r = await PurgeAsync(ErrorQueue);

        Assert.True(r.ExitCode == 0, r.Error);
        string dsnId = OperatorBounce.DsnQueueId(lost);
        Assert.Contains($"bounced: {lost.MessageId}: never recorded by the Queue; failure DSN {dsnId} for 1 recipient(s) queued to <alice@example.com>", r.Output, StringComparison.Ordinal);
        Assert.Contains($"removed without DSN: {fromNobody.MessageId}: never recorded by the Queue; null sender", r.Output, StringComparison.Ordinal);
        (MessageAccepted dsn, _) = Assert.Single(await DrainAsync<MessageAccepted>(capture));
        Assert.Equal(dsnId, dsn.MessageId);
        Assert.True(QueueId.IsValid(dsn.MessageId));
        Assert.Equal("", dsn.Envelope.Sender);
        Assert.Equal(new EnvelopeRecipient("alice@example.com", DsnNotify.Never, null), Assert.Single(dsn.Envelope.Recipients));
        string text = Encoding.UTF8.GetString(dsn.Content);
        Assert.Contains("Subject: Undelivered Mail Returned to Sender", text, StringComparison.Ordinal);
        Assert.Contains("Final-Recipient: rfc822; bob@example.org", text, StringComparison.Ordinal);
        Assert.Contains("Status: 5.3.0", text, StringComparison.Ordinal);
        Assert.Contains($"X-EmailPipeline-Queue-ID: {lost.MessageId}", text, StringComparison.Ordinal);
        Assert.Contains("Removed from the dead-letter queue by the mail system administrator", text, StringComparison.Ordinal);
        Assert.Contains("the only copy", text, StringComparison.Ordinal); // RET=FULL: the original comes back
        Assert.DoesNotContain("carol@example.org", text, StringComparison.Ordinal); // NOTIFY=NEVER
    }

    [Fact]
    public async Task An_accepted_message_the_queue_recorded_is_bounced_through_the_work_of_its_open_recipients()
    {
        string capture = await CaptureAsync<DeliveryAttempted>();
        MessageAccepted accepted = Accepted("alice@example.com", DateTimeOffset.UtcNow.AddMinutes(-3), "bob@example.org", "erin@example.net") with { Content = Body };
        await using (SqlQueueStore store = new SqliteQueueStore(StorePath, TimeProvider.System))
        {
            // Recorded as the Queue records it (one work id per destination), then bob was delivered.
            int n = 0;
            var rules = new LifecycleRules(DateTimeOffset.UtcNow, TimeSpan.FromDays(5), TimeSpan.FromHours(4), new RetrySchedule([TimeSpan.FromMinutes(1)]), new DelayLadder([TimeSpan.FromSeconds(5)]),
                TimeSpan.FromHours(1), new HashSet<string>(), () => "work-" + ++n);
            Assert.True(await store.ApplyAsync(accepted.MessageId, null, RecipientLifecycle.Decide(null, new LifecycleInput.Accepted(accepted), rules), [], Ct));
            MessageRecord recorded = (await store.GetAsync(accepted.MessageId, Ct))!;
            string bobsWork = recorded.Recipients.Single(x => x.Address == "bob@example.org").WorkId!;
            LifecycleDecision delivered = RecipientLifecycle.Decide(recorded, new LifecycleInput.Attempted(
                Attempt(accepted.MessageId, bobsWork, 1, DateTimeOffset.UtcNow, Delivered("bob@example.org"))), rules);
            Assert.True(await store.ApplyAsync(accepted.MessageId, recorded.Version, delivered, [], Ct));
        }

        string erinsWork;
        await using (SqlQueueStore store = new SqliteQueueStore(StorePath, TimeProvider.System))
        {
            erinsWork = (await store.GetAsync(accepted.MessageId, Ct))!.Recipients.Single(x => x.Address == "erin@example.net").WorkId!;
        }

        await PublishAsync(ErrorQueue, Envelope(accepted));

        CliRun r = await PurgeAsync(ErrorQueue, "--store", "sqlite:" + StorePath);

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains($"bounced: {accepted.MessageId}: recorded by the Queue; 1 open recipient(s) bounced through the Queue; the Queue sends the failure DSN to <alice@example.com>", r.Output, StringComparison.Ordinal);
        (DeliveryAttempted bounce, _) = Assert.Single(await DrainAsync<DeliveryAttempted>(capture));
        Assert.Equal((accepted.MessageId, erinsWork, "example.net"), (bounce.MessageId, bounce.AttemptId, bounce.Destination));
        Assert.Equal("erin@example.net", Assert.Single(bounce.Outcomes).Recipient);
        Assert.Equal(DeliveryOutcome.Bounced, bounce.Outcomes[0].Outcome);
        Assert.Equal(Body, bounce.Content);
    }

    [Fact]
    public async Task A_purge_of_accepted_mail_without_a_store_exits_3_and_keeps_the_letter()
    {
        await PublishAsync(ErrorQueue, Envelope(Accepted("alice@example.com", DateTimeOffset.UtcNow, "bob@example.org")));

        CliRun r = await PurgeAsync(ErrorQueue, "--store", "sqlite:" + Path.Combine(_dir, "missing.db"));

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("purge needs the queue store to tell whether the Queue recorded", r.Error, StringComparison.Ordinal);
        Assert.Equal(1u, await EventuallyCountAsync(ErrorQueue, 1));
    }

    [Fact]
    public void The_dsn_id_is_a_valid_queue_id_and_the_same_for_the_same_letter()
    {
        MessageAccepted a = Accepted("alice@example.com", Epoch, "bob@example.org");
        MessageAccepted b = Accepted("alice@example.com", Epoch, "bob@example.org");

        Assert.True(QueueId.IsValid(OperatorBounce.DsnQueueId(a)));
        Assert.Equal(OperatorBounce.DsnQueueId(a), OperatorBounce.DsnQueueId(a with { ReceivedAt = Epoch }));
        Assert.NotEqual(OperatorBounce.DsnQueueId(a), OperatorBounce.DsnQueueId(b));
        Assert.Equal(Epoch, QueueId.TimestampOf(OperatorBounce.DsnQueueId(a)));
    }

    /// <summary>
    /// The loop replay must not run: the target queue dead-letters every message straight back into the error queue
    /// (TTL 0), as a poison message does. Replay takes what was waiting when it began and stops.
    /// </summary>
    [Fact]
    public async Task Replay_takes_only_what_was_waiting_when_it_began_even_when_everything_comes_straight_back()
    {
        string target = _prefix + "loop";
        string error = target + "_error";
        await _channel.QueueDeclareAsync(error, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: Ct);
        await _channel.QueueDeclareAsync(target, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
        {
            ["x-message-ttl"] = 0,
            ["x-dead-letter-exchange"] = "",
            ["x-dead-letter-routing-key"] = error,
        }, cancellationToken: Ct);
        try
        {
            for (int i = 0; i < 3; i++)
            {
                await PublishAsync(error, Encoding.UTF8.GetBytes("poison " + i));
            }

            CliRun all = await CliRunner.RunAsync("deadletters", "replay", error, "--rabbitmq", vhost.Url);

            Assert.True(all.ExitCode == 0, all.Error);
            Assert.Contains($"replayed 3 message(s) from {error} to {target}", all.Output, StringComparison.Ordinal);
            Assert.Equal(3u, await EventuallyCountAsync(error, 3)); // each came back once

            CliRun two = await CliRunner.RunAsync("deadletters", "replay", error, "--count", "2", "--rabbitmq", vhost.Url);

            Assert.True(two.ExitCode == 0, two.Error);
            Assert.Contains($"replayed 2 message(s) from {error} to {target}", two.Output, StringComparison.Ordinal);
            Assert.Contains("stopped at --count 2: 1 more were waiting; run replay again for the rest", two.Output, StringComparison.Ordinal);
            Assert.Equal(3u, await EventuallyCountAsync(error, 3));
        }
        finally
        {
            await _channel.QueueDeleteAsync(target, cancellationToken: CancellationToken.None);
            await _channel.QueueDeleteAsync(error, cancellationToken: CancellationToken.None);
        }
    }

    private static DeliveryRequested Request(string messageId, string attemptId, string sender, params string[] recipients) => new()
    {
        MessageId = messageId,
        AttemptId = attemptId,
        Destination = recipients[0][(recipients[0].IndexOf('@') + 1)..],
        Sender = sender,
        Recipients = [.. recipients.Select(r => new EnvelopeRecipient(r, DsnNotify.Default, null))],
        AttemptNumber = 2,
        Content = Body,
    };

    /// <summary>A MassTransit envelope as the services write it.</summary>
    private static JsonObject Envelope<T>(T message) => new()
    {
        ["messageId"] = Guid.NewGuid().ToString(),
        ["conversationId"] = Guid.NewGuid().ToString(),
        ["messageType"] = new JsonArray($"urn:message:EmailPipeline.Contracts:{typeof(T).Name}"),
        ["message"] = JsonSerializer.SerializeToNode(message, Json),
        ["sentTime"] = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["headers"] = new JsonObject(),
    };

    private Task<CliRun> PurgeAsync(string queue, params string[] more) =>
        CliRunner.RunAsync([.. new[] { "deadletters", "purge", queue, "--rabbitmq", vhost.Url, "--store", "sqlite:" + StorePath }, .. more]);

    /// <summary>A queue of this test's own bound to the contract's message-type exchange: where the Queue would take
    /// what purge publishes. Deleted after the test, so the next test's exchange has no stray binding.</summary>
    private async Task<string> CaptureAsync<T>()
    {
        string exchange = PipelineQueues.ExchangeOf<T>();
        await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, cancellationToken: Ct);
        string queue = _prefix + "capture-" + typeof(T).Name;
        await _channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true, cancellationToken: Ct);
        await _channel.QueueBindAsync(queue, exchange, "", cancellationToken: Ct);
        _captures.Add(queue);
        return queue;
    }

    private Task PublishAsync(string queue, JsonObject envelope) =>
        PublishAsync(queue, JsonSerializer.SerializeToUtf8Bytes(envelope));

    private async Task PublishAsync(string queue, byte[] body)
    {
        var props = new BasicProperties { MessageId = Guid.NewGuid().ToString(), Persistent = true, ContentType = "application/vnd.masstransit+json" };
        await _channel.BasicPublishAsync("", queue, mandatory: true, props, body, Ct);
    }

    private async Task<List<(T Message, BasicGetResult Raw)>> DrainAsync<T>(string queue)
    {
        var got = new List<(T, BasicGetResult)>();
        while (await _channel.BasicGetAsync(queue, autoAck: true, Ct) is { } r)
        {
            JsonNode envelope = JsonNode.Parse(r.Body.Span)!;
            Assert.Equal($"urn:message:EmailPipeline.Contracts:{typeof(T).Name}", envelope["messageType"]![0]!.GetValue<string>());
            got.Add((envelope["message"].Deserialize<T>(Json)!, r));
        }

        return got;
    }

    private async Task<uint> CountAsync(string queue) => (await _channel.QueueDeclarePassiveAsync(queue, Ct)).MessageCount;

    // A requeue (nack) is applied by the queue a moment after it is sent; the count catches up within a bound.
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
}
