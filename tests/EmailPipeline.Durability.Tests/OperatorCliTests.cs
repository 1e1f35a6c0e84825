using System.Diagnostics;
using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using static EmailPipeline.Durability.Tests.Harness;

namespace EmailPipeline.Durability.Tests;

/// <summary>The operator CLI (tools/Cli) against a running pipeline: deferred mail, flush, dead letters.</summary>
public sealed class OperatorCliTests(ITestOutputHelper output)
{
    /// <summary>
    /// A peer answering every RCPT with 451 and a 10-minute retry schedule: `queue list` shows the recipient
    /// deferred; the peer then accepts, but nothing moves (the retry is 10 minutes away) until `queue flush`
    /// makes it go out at once; it is delivered and `queue list --all` shows it delivered.
    /// </summary>
    [Fact]
    public async Task Queue_list_shows_a_deferred_message_and_queue_flush_delivers_it_now()
    {
        await using SmtpSinkServer peer = SmtpSinkServer.Start();
        peer.Deferring = true;
        var queue = new Dictionary<string, string>
        {
            ["Queue__RetrySchedule__0"] = "00:10:00",
            ["Queue__DelaySteps__0"] = "00:00:05",
            ["Queue__DelaySteps__1"] = "00:10:00",
        };
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: queue, delivery: RouteTo(peer.Port, "peer.test"));

        var swaks = await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{S(pipeline.SmtpPort)}", "--from", "s@remote.test", "--to", "r@peer.test", "--body", "flush me"]);
        Assert.True(swaks.ExitCode == 0, swaks.All);
        string id = System.Text.RegularExpressions.Regex.Match(swaks.Output, @"queued as (\S+)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(id), swaks.Output);

        // Deferred after the first attempt got 451.
        bool deferred = await WaitUntilAsync(async () => (await OperatorCli.RecipientsAsync(pipeline)).Any(r => r.MessageId == id && r.State == "Deferred"), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        Assert.True(deferred, "not deferred\n" + pipeline.Output);
        ExternalTool.Result list = await OperatorCli.RunAsync(pipeline, "queue", "list");
        output.WriteLine("$ emailpipeline queue list\n" + list.Output);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(id, list.Output, StringComparison.Ordinal);
        Assert.Contains("r@peer.test", list.Output, StringComparison.Ordinal);
        Assert.Contains("451", list.Output, StringComparison.Ordinal);

        // The peer accepts now; the next attempt is 10 minutes away, so nothing arrives by itself.
        peer.Deferring = false;
        await Task.Delay(4000);
        Assert.Equal(0, peer.Count);

        var sw = Stopwatch.StartNew();
        ExternalTool.Result flush = await OperatorCli.RunAsync(pipeline, "queue", "flush");
        output.WriteLine("$ emailpipeline queue flush\n" + flush.All);
        Assert.True(flush.ExitCode == 0, flush.All);
        Assert.True(await peer.WaitUntilAsync(p => p.QueueIds.Contains(id), TimeSpan.FromSeconds(30)), "not delivered after flush\n" + pipeline.Output);
        output.WriteLine($"delivered {sw.Elapsed.TotalSeconds:F1}s after queue flush ({peer.Deferrals} RCPT deferred before)");

        Assert.True(await WaitUntilAsync(async () => (await OperatorCli.RecipientsAsync(pipeline)).Any(r => r.MessageId == id && r.State == "Delivered"), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(1)),
            "the store does not say delivered\n" + pipeline.Output);
        ExternalTool.Result after = await OperatorCli.RunAsync(pipeline, "queue", "list");
        Assert.DoesNotContain(id, after.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A dead letter and its replay. What the test does: it publishes (confirmed, mandatory, persistent) to the
    /// Queue service's `queue-retry-due` queue a MassTransit envelope of type `DeliveryRetryDue` whose
    /// `request` is null. It deserializes, but the consumer throws (NullReferenceException on
    /// `Request.MessageId`) on every try, so after the endpoint's 5 retries MassTransit moves it to
    /// `queue-retry-due_error`. `deadletters list` shows that queue with 1 message, `deadletters show` the
    /// fault; `deadletters replay` moves it back to `queue-retry-due` exactly once (it takes only what was waiting when it began);
    /// the Queue service consumes it again — it is a poison message, so it fails again and returns to
    /// `queue-retry-due_error` with a fresh fault timestamp, which proves the replay reached the consumer.
    /// </summary>
    [Fact]
    public async Task A_poison_message_lands_in_an_error_queue_and_deadletters_replay_moves_it_back()
    {
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), deliveryWorkers: 0);
        const string ErrorQueue = "queue-retry-due_error";

        string messageId = Guid.NewGuid().ToString();
        string envelope = new System.Text.Json.Nodes.JsonObject
        {
            ["messageId"] = messageId,
            ["messageType"] = new System.Text.Json.Nodes.JsonArray("urn:message:EmailPipeline.Contracts:DeliveryRetryDue"),
            ["message"] = new System.Text.Json.Nodes.JsonObject { ["request"] = null, ["dueAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) },
            ["sentTime"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["headers"] = new System.Text.Json.Nodes.JsonObject(),
        }.ToJsonString();
        var factory = new ConnectionFactory { Uri = new Uri(pipeline.Broker.Url) };
        await using (IConnection connection = await factory.CreateConnectionAsync())
        await using (IChannel channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            var props = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent, MessageId = messageId };
            await channel.BasicPublishAsync("", "queue-retry-due", mandatory: true, props, Encoding.UTF8.GetBytes(envelope));
        }

        output.WriteLine($"published a DeliveryRetryDue with request = null (message id {messageId}) to queue-retry-due");
        Assert.True(await WaitUntilAsync(async () => await ReadyCountAsync(pipeline, ErrorQueue) == 1, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1)),
            "nothing in " + ErrorQueue + "\n" + pipeline.Output);

        ExternalTool.Result list = await OperatorCli.RunAsync(pipeline, "deadletters", "list");
        output.WriteLine("$ emailpipeline deadletters list\n" + list.All);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(ErrorQueue, list.Output, StringComparison.Ordinal);
        ExternalTool.Result show = await OperatorCli.RunAsync(pipeline, "deadletters", "show", ErrorQueue);
        output.WriteLine("$ emailpipeline deadletters show " + ErrorQueue + "\n" + show.All);
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("MalformedInputException", show.Output, StringComparison.Ordinal);
        string firstFault = FaultTimestamp(show.Output);

        ExternalTool.Result replay = await OperatorCli.RunAsync(pipeline, "deadletters", "replay", ErrorQueue);
        output.WriteLine("$ emailpipeline deadletters replay " + ErrorQueue + "\n" + replay.All);
        Assert.True(replay.ExitCode == 0, replay.All);

        // Bounded: one message was waiting, so one is replayed, even though it comes straight back (a replay that
        // looped until the queue stayed empty would take it again and again).
        Assert.Contains("replayed 1 message(s) from queue-retry-due_error to queue-retry-due", replay.Output, StringComparison.Ordinal);

        // Consumed again, refused again at once (a malformed input is not retried), back in the error queue with a new fault time.
        string secondFault = "";
        Assert.True(await WaitUntilAsync(async () =>
        {
            if (await ReadyCountAsync(pipeline, ErrorQueue) != 1)
            {
                return false;
            }

            ExternalTool.Result again = await OperatorCli.RunAsync(pipeline, "deadletters", "show", ErrorQueue);
            secondFault = FaultTimestamp(again.Output);
            return secondFault.Length > 0 && secondFault != firstFault;
        }, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1)), $"the replayed message did not come back with a new fault (first {firstFault})\n{pipeline.Output}");
        output.WriteLine($"fault timestamps: first {firstFault}, after replay {secondFault}");
    }

    /// <summary>
    /// A work queue deleted under the Queue service (an operator's slip, or a broker that lost it). What the test
    /// does: with no Delivery worker running it deletes the `delivery-requested` queue, then sends a message with
    /// swaks. The ingress accepts it (250; its own queue is intact). The Queue records it, but its mandatory publish
    /// of DeliveryRequested now has no route: the broker returns it, the Queue logs and counts the unroutable
    /// publish, declares its queues again and retries the input, which then goes through. A Delivery worker started
    /// later delivers it; nothing reaches an error queue.
    /// </summary>
    [Fact]
    public async Task A_deleted_delivery_queue_is_declared_again_and_the_accepted_message_is_delivered()
    {
        await using SmtpSinkServer peer = SmtpSinkServer.Start();
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), delivery: RouteTo(peer.Port), deliveryWorkers: 0);
        const string ErrorQueue = "queue-message-accepted_error";

        var factory = new ConnectionFactory { Uri = new Uri(pipeline.Broker.Url) };
        await using (IConnection connection = await factory.CreateConnectionAsync())
        await using (IChannel channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeleteAsync("delivery-requested");
        }

        var swaks = await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{S(pipeline.SmtpPort)}", "--from", "s@remote.test", "--to", "r@sink.test", "--body", "redeclare me"]);
        Assert.True(swaks.ExitCode == 0, swaks.All);
        string id = System.Text.RegularExpressions.Regex.Match(swaks.Output, @"queued as (\S+)").Groups[1].Value;
        output.WriteLine($"deleted delivery-requested; swaks got 250 queued as {id}");

        Assert.True(await WaitUntilAsync(async () => await ReadyCountAsync(pipeline, "delivery-requested") == 1, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1)),
            $"the delivery request did not reach the declared-again queue\n{pipeline.Output}");
        Assert.Contains("unroutable", pipeline.Output, StringComparison.Ordinal);

        await pipeline.StartDeliveryAsync();
        Assert.True(await peer.WaitUntilAsync(p => p.QueueIds.Contains(id), TimeSpan.FromSeconds(30)), "not delivered\n" + pipeline.Output);
        Assert.True(await WaitUntilAsync(async () => (await OperatorCli.RecipientsAsync(pipeline)).Any(r => r.MessageId == id && r.State == "Delivered"), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(1)),
            "the store does not say delivered\n" + pipeline.Output);
        Assert.True(await ReadyCountAsync(pipeline, ErrorQueue) == 0, "a dead letter after all\n" + pipeline.Output);
    }

    private static string FaultTimestamp(string show)
    {
        foreach (string line in show.Split('\n'))
        {
            if (line.Contains("MT-Fault-Timestamp", StringComparison.Ordinal))
            {
                return line.Trim();
            }
        }

        return "";
    }
}
