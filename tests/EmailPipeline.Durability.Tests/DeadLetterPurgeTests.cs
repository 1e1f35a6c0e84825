using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EmailPipeline.Contracts;
using MimeKit;
using RabbitMQ.Client;
using static EmailPipeline.Durability.Tests.Harness;

namespace EmailPipeline.Durability.Tests;

/// <summary>
/// `deadletters purge` against a running pipeline: a dead letter may be the only copy of accepted mail, so purging it
/// bounces its recipients and the sender gets a DSN (issue 10), unless the operator says --no-dsn.
/// Local mail (example.test) is delivered to Maildir, so the DSN to a sender at example.test can be read from disk.
/// </summary>
public sealed class DeadLetterPurgeTests(ITestOutputHelper output)
{
    private const string Sender = "s@example.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// What the test does: with no Delivery worker running, swaks sends one message from s@example.test to two
    /// recipients at sink.test; the Queue records them Queued and publishes one DeliveryRequested. The test moves that
    /// request into `delivery-requested_error` exactly as MassTransit does after a worker failed on it every time (same
    /// body, fault headers added). A Delivery worker is started (for the DSN only; the request is gone from its queue).
    /// `deadletters purge delivery-requested_error` then publishes an operator bounce of that attempt; the Queue records
    /// both recipients Bounced and sends one failure DSN (Status 5.3.0, the original returned), which the worker
    /// delivers to s@example.test's Maildir. On the old purge the request was deleted, the recipients stayed Queued and
    /// no DSN came.
    /// </summary>
    [Fact]
    public async Task A_purged_dead_letter_bounces_its_recipients_with_a_dsn()
    {
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), deliveryWorkers: 0);
        string id = await SendAsync(pipeline, "r1@sink.test", "r2@sink.test");
        await MoveToErrorQueueAsync(pipeline, "delivery-requested", "delivery-requested_error");
        await pipeline.StartDeliveryAsync();

        ExternalTool.Result purge = await OperatorCli.RunAsync(pipeline, "deadletters", "purge", "delivery-requested_error");
        output.WriteLine("$ emailpipeline deadletters purge delivery-requested_error\n" + purge.All);
        Assert.True(purge.ExitCode == 0, purge.All);
        Assert.Contains($"{id}: 2 recipient(s) at sink.test", purge.Output, StringComparison.Ordinal);
        Assert.Contains("delivery-requested_error: 1 bounced (DSN as NOTIFY asks), 0 removed without DSN, 0 left in place", purge.Output, StringComparison.Ordinal);
        Assert.Equal(0, await ReadyCountAsync(pipeline, "delivery-requested_error"));

        Assert.True(await WaitUntilAsync(async () => (await OperatorCli.RecipientsAsync(pipeline)).Count(r => r.MessageId == id && r.State == "Bounced") == 2, Patience, TimeSpan.FromSeconds(1)),
            "the recipients are not bounced in the store\n" + pipeline.Output);
        string dsnId = await WaitDsnDeliveredAsync(pipeline, id);
        MimeMessage dsn = await LoadSingleAsync(pipeline.MaildirRoot, Sender);
        output.WriteLine($"DSN {dsnId} delivered to {Sender}: {dsn.Subject}");
        Assert.Equal("Undelivered Mail Returned to Sender", dsn.Subject);
        string text = dsn.ToString();
        Assert.Contains("Final-Recipient: rfc822; r1@sink.test", text, StringComparison.Ordinal);
        Assert.Contains("Final-Recipient: rfc822; r2@sink.test", text, StringComparison.Ordinal);
        Assert.Contains("Status: 5.3.0", text, StringComparison.Ordinal);
        Assert.Contains("Removed from the dead-letter queue by the mail system administrator", text, StringComparison.Ordinal);
        Assert.Contains($"X-EmailPipeline-Queue-ID: {id}", text, StringComparison.Ordinal);
        Assert.Contains("purge me", text, StringComparison.Ordinal); // RET=FULL by default: the original comes back
        ExternalTool.Result show = await OperatorCli.RunAsync(pipeline, "queue", "show", id);
        Assert.Contains("5.3.0 Removed from the dead-letter queue", show.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The same dead letter purged with --no-dsn: it is removed and nothing is published, so the recipients stay as
    /// they were (Queued; the sweeper, not this command, deals with them) and the store knows no DSN message.
    /// </summary>
    [Fact]
    public async Task Purge_with_no_dsn_removes_the_dead_letter_without_a_dsn()
    {
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), deliveryWorkers: 0);
        string id = await SendAsync(pipeline, "r1@sink.test");
        await MoveToErrorQueueAsync(pipeline, "delivery-requested", "delivery-requested_error");

        ExternalTool.Result purge = await OperatorCli.RunAsync(pipeline, "deadletters", "purge", "delivery-requested_error", "--no-dsn");
        output.WriteLine("$ emailpipeline deadletters purge delivery-requested_error --no-dsn\n" + purge.All);
        Assert.True(purge.ExitCode == 0, purge.All);
        Assert.Contains("DeliveryRequested: removed without DSN: --no-dsn", purge.Output, StringComparison.Ordinal);
        Assert.Contains("delivery-requested_error: 0 bounced (DSN as NOTIFY asks), 1 removed without DSN, 0 left in place", purge.Output, StringComparison.Ordinal);
        Assert.Equal(0, await ReadyCountAsync(pipeline, "delivery-requested_error"));

        Assert.Equal((id, "r1@sink.test", "Queued"), Assert.Single(await OperatorCli.RecipientsAsync(pipeline)));
    }

    /// <summary>
    /// A MessageAccepted the Queue never recorded (it faulted every retry before its first write) is the only copy of
    /// that mail. What the test does: it publishes such a message (from s@example.test to r@sink.test) straight into
    /// `queue-message-accepted_error`. The Queue has no record to bounce, so purge builds the failure DSN itself, in the
    /// Queue's format, and publishes it as a new accepted message from &lt;&gt;: the Queue records it and the worker
    /// delivers it to s@example.test's Maildir.
    /// </summary>
    [Fact]
    public async Task A_purged_accepted_message_the_queue_never_recorded_yields_a_dsn()
    {
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries());
        string id = QueueId.New();
        var accepted = new MessageAccepted
        {
            MessageId = id,
            Envelope = new Envelope(Sender, [new EnvelopeRecipient("r@sink.test", DsnNotify.Default, null)], "env-" + id, DsnReturn.Headers, BodyType.SevenBit, false, null),
            Session = new SessionFacts("192.0.2.7", 40000, "client.test", "mx", "mx", null, null, null, null),
            ReceivedAt = DateTimeOffset.UtcNow,
            Content = Encoding.ASCII.GetBytes($"From: {Sender}\r\nTo: r@sink.test\r\nSubject: never recorded\r\n\r\nlost\r\n"),
        };
        await PublishAsync(pipeline, "queue-message-accepted_error", Envelope(accepted));

        ExternalTool.Result purge = await OperatorCli.RunAsync(pipeline, "deadletters", "purge", "queue-message-accepted_error");
        output.WriteLine("$ emailpipeline deadletters purge queue-message-accepted_error\n" + purge.All);
        Assert.True(purge.ExitCode == 0, purge.All);
        Assert.Contains($"{id}: never recorded by the Queue; failure DSN", purge.Output, StringComparison.Ordinal);
        Assert.Equal(0, await ReadyCountAsync(pipeline, "queue-message-accepted_error"));

        await WaitDsnDeliveredAsync(pipeline, id);
        MimeMessage dsn = await LoadSingleAsync(pipeline.MaildirRoot, Sender);
        Assert.Equal("Undelivered Mail Returned to Sender", dsn.Subject);
        string text = dsn.ToString();
        Assert.Contains("Final-Recipient: rfc822; r@sink.test", text, StringComparison.Ordinal);
        Assert.Contains("Status: 5.3.0", text, StringComparison.Ordinal);
        Assert.Contains($"Original-Envelope-Id: env-{id}", text, StringComparison.Ordinal);
        Assert.Contains("Subject: never recorded", text, StringComparison.Ordinal); // RET=HDRS: the headers come back
        Assert.DoesNotContain((await OperatorCli.RecipientsAsync(pipeline)), r => r.MessageId == id);
    }

    /// <summary>swaks from <see cref="Sender"/>; returns the queue id once the Queue has published the DeliveryRequested.</summary>
    private static async Task<string> SendAsync(Pipeline pipeline, params string[] recipients)
    {
        var swaks = await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{S(pipeline.SmtpPort)}", "--from", Sender, "--to", string.Join(',', recipients), "--body", "purge me"]);
        Assert.True(swaks.ExitCode == 0, swaks.All);
        string id = System.Text.RegularExpressions.Regex.Match(swaks.Output, @"queued as (\S+)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(id), swaks.Output);
        Assert.True(await WaitUntilAsync(async () => await ReadyCountAsync(pipeline, "delivery-requested") == 1, Patience, TimeSpan.FromMilliseconds(500)),
            "no delivery request\n" + pipeline.Output);
        return id;
    }

    /// <summary>What MassTransit does with a message whose consumer failed every retry: the same body and properties,
    /// with fault headers, into the endpoint's error queue (confirmed before the original is acked).</summary>
    private static async Task MoveToErrorQueueAsync(Pipeline pipeline, string from, string to)
    {
        var factory = new ConnectionFactory { Uri = new Uri(pipeline.Broker.Url) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        BasicGetResult got = await channel.BasicGetAsync(from, autoAck: false) ?? throw new InvalidOperationException($"{from} is empty");
        var headers = new Dictionary<string, object?>(got.BasicProperties.Headers ?? new Dictionary<string, object?>())
        {
            ["MT-Reason"] = "fault",
            ["MT-Fault-ExceptionType"] = "System.IO.IOException",
            ["MT-Fault-Message"] = "the relay hung up after AUTH",
        };
        await channel.BasicPublishAsync("", to, mandatory: true, new BasicProperties(got.BasicProperties) { Headers = headers }, got.Body.ToArray());
        await channel.BasicAckAsync(got.DeliveryTag, multiple: false);
    }

    /// <summary>Waits until the store holds a message other than <paramref name="original"/> to <see cref="Sender"/>
    /// (the DSN) and says it was delivered; returns its id. After that the Maildir holds every DSN there is.</summary>
    private static async Task<string> WaitDsnDeliveredAsync(Pipeline pipeline, string original)
    {
        string dsnId = "";
        Assert.True(await WaitUntilAsync(async () =>
        {
            var dsn = (await OperatorCli.RecipientsAsync(pipeline)).Where(r => r.MessageId != original && r.Recipient == Sender).ToList();
            dsnId = dsn.Count > 0 ? dsn[0].MessageId : "";
            return dsn.Count > 0 && dsn.All(r => r.State == "Delivered");
        }, Patience, TimeSpan.FromSeconds(1)), "no DSN delivered to " + Sender + "\n" + pipeline.Output);
        return dsnId;
    }

    /// <summary>The one message in the mailbox (&lt;root&gt;/&lt;domain&gt;/&lt;local&gt;/new): exactly one DSN.</summary>
    private static async Task<MimeMessage> LoadSingleAsync(string root, string address)
    {
        string dir = Path.Combine(root, address[(address.IndexOf('@') + 1)..], address[..address.IndexOf('@')], "new");
        string[] files = Directory.Exists(dir) ? Directory.GetFiles(dir) : [];
        return await MimeMessage.LoadAsync(Assert.Single(files));
    }
}
