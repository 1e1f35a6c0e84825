using EmailPipeline.Contracts;
using EmailPipeline.EndToEnd.Tests.Support;
using RabbitMQ.Client;

namespace EmailPipeline.EndToEnd.Tests;

/// <summary>
/// "Every accepted recipient ends delivered, bounced or expired, exactly once": the paths where a recipient that
/// got 250 used to be stranded or doubled, on the real broker and the real services.
/// </summary>
[Collection(PeerCollection.Name)]
public sealed class AfterThe250Tests(PeerPipelineFixture f)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>
    /// An operator (or a changed Queue:DelaySteps) deleted the delay queues while mail waits to be retried. The
    /// broker confirms a publish no queue takes unless it is mandatory; the retry used to be dropped and the
    /// recipient stayed Deferred forever. Now the send comes back, the Queue declares its queues again and retries
    /// the input; the deferred recipient is delivered, and the bounced one's DSN is sent once across those retries.
    /// </summary>
    [Fact]
    public async Task Deleted_delay_queues_lose_no_deferred_recipient_and_repeat_no_dsn()
    {
        string id = TestIds.New();
        string sender = $"delaygone-{id}@example.test";
        string later = $"softonce-{id}@peer.test";
        string unknown = $"unknown-{id}@peer.test";
        await DeleteDelayQueuesAsync();

        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, $"<{sender}>", [$"<{later}>", $"<{unknown}>"],
            SmtpSubmission.Message(sender, later, $"delay queues gone {id}", "retried all the same"));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        Assert.Equal("Delivered", view.Message.Recipient(later).State);
        Assert.Equal("Bounced", view.Message.Recipient(unknown).State);
        QueueStoreCli.AssertExactlyOneFinalState(view);
        Assert.Single(f.Peer.FindAll(later), t => t.Recipients.Contains(later));
        Assert.Contains("unroutable", f.Output(), StringComparison.Ordinal);

        string[] dsns = await Maildir.WaitAsync(f.Pipeline.MaildirRoot, sender, Patience);
        Assert.True(dsns.Length > 0, $"no DSN for {sender}\n{f.Output()}");
        await Task.Delay(TimeSpan.FromSeconds(3)); // a second copy would arrive within this
        Assert.Single(Maildir.Files(f.Pipeline.MaildirRoot, sender));
    }

    private async Task DeleteDelayQueuesAsync()
    {
        await using IConnection connection = await new ConnectionFactory { Uri = new Uri(f.Pipeline.Broker.Url) }.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        foreach (string step in new[] { "1s", "2s" })
        {
            await channel.QueueDeleteAsync(PipelineQueues.DelayPrefix + step, cancellationToken: TestContext.Current.CancellationToken);
        }
    }
}
