using EmailPipeline.EndToEnd.Tests.Support;
using MimeKit;

namespace EmailPipeline.EndToEnd.Tests;

/// <summary>A pipeline whose peer.test accepts nothing (451 4.2.1 for every recipient), with a 6 s queue lifetime,
/// a 1 s delay-DSN threshold and retries every second.</summary>
public sealed class ExpiryPipelineFixture : PeerPipelineFixture
{
    protected override IDictionary<string, string> QueueSettings() => new Dictionary<string, string>
    {
        ["Queue__RetrySchedule__0"] = "00:00:01",
        ["Queue__MaxQueueLifetime"] = "00:00:06",
        ["Queue__DelayDsnAfter"] = "00:00:01",
    };

    protected override string? RcptReply(string address, int seen) => "451 4.2.1 Mailbox busy, try later";
}

/// <summary>Mail nobody takes: it waits, tells the sender once if asked (delay DSN), and expires with a failure DSN.</summary>
public sealed class ExpiryTests(ExpiryPipelineFixture f) : IClassFixture<ExpiryPipelineFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Mail_that_is_always_deferred_expires_after_the_queue_lifetime_with_a_failure_dsn()
    {
        string id = TestIds.New();
        string sender = $"expire-{id}@example.test";
        string rcpt = $"never-{id}@peer.test";
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, $"<{sender}> ENVID=exp-{id}", [$"<{rcpt}>"],
            SmtpSubmission.Message(sender, rcpt, $"expire {id}", "nobody wants me"));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        StoredRecipient r = view.Message.Recipient(rcpt);
        Assert.Equal("Expired", r.State);
        Assert.True(r.Attempts >= 1, $"attempts {r.Attempts}"); // how many fit in 6 s depends on the load
        Assert.All(view.Attempts, a => Assert.Equal(("Deferred", 451), (a.Outcome, a.ReplyCode)));
        QueueStoreCli.AssertExactlyOneFinalState(view);
        Assert.Empty(f.Peer.FindAll(rcpt)); // never got past RCPT

        string[] files = await Maildir.WaitAsync(f.Pipeline.MaildirRoot, sender, Patience);
        Assert.True(files.Length > 0, $"no DSN for {sender}");
        await Task.Delay(TimeSpan.FromSeconds(2));
        DsnReader dsn = DsnReader.Load(Assert.Single(Maildir.Files(f.Pipeline.MaildirRoot, sender)));
        Assert.Equal("Undelivered Mail Returned to Sender", dsn.Message.Subject);
        Assert.Equal($"exp-{id}", dsn.PerMessage["Original-Envelope-Id"]?.Trim());
        HeaderList group = dsn.Single();
        Assert.Equal($"rfc822; {rcpt}", group["Final-Recipient"]?.Trim());
        Assert.Equal("failed", group["Action"]?.Trim());
        Assert.Matches(@"^[45]\.\d{1,3}\.\d{1,3}$", group["Status"]?.Trim() ?? "");
        Assert.Contains("451", group["Diagnostic-Code"] ?? "", StringComparison.Ordinal);
        // The body was still in the queue (it was deferred), so RET=FULL (the default) returns it whole.
        var returned = Assert.IsType<MessagePart>(dsn.Returned);
        Assert.Equal($"expire {id}", returned.Message?.Subject);
    }

    [Fact]
    public async Task Notify_delay_brings_exactly_one_delay_dsn_and_no_failure_dsn_on_expiry()
    {
        string id = TestIds.New();
        string sender = $"delay-{id}@example.test";
        string rcpt = $"slow-{id}@peer.test";
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, $"<{sender}>", [$"<{rcpt}> NOTIFY=DELAY"],
            SmtpSubmission.Message(sender, rcpt, $"delay {id}", "tell me if it takes long"));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        Assert.Equal("Expired", view.Message.Recipient(rcpt).State);
        // How many attempts fit in 6 s depends on the machine's load; what counts is the one delay DSN below.
        Assert.True(view.Message.Recipient(rcpt).Attempts >= 1, $"attempts {view.Message.Recipient(rcpt).Attempts}");
        QueueStoreCli.AssertExactlyOneFinalState(view);

        string[] files = await Maildir.WaitAsync(f.Pipeline.MaildirRoot, sender, Patience);
        Assert.True(files.Length > 0, $"no delay DSN for {sender}");
        await Task.Delay(TimeSpan.FromSeconds(3)); // a second delay DSN or a failure DSN would have come by now
        DsnReader dsn = DsnReader.Load(Assert.Single(Maildir.Files(f.Pipeline.MaildirRoot, sender)));
        Assert.Equal("Delayed Mail (still being retried)", dsn.Message.Subject);
        HeaderList group = dsn.Single();
        Assert.Equal($"rfc822; {rcpt}", group["Final-Recipient"]?.Trim());
        Assert.Equal("delayed", group["Action"]?.Trim());
        Assert.StartsWith("4.", group["Status"]?.Trim(), StringComparison.Ordinal);
        Assert.NotNull(group["Will-Retry-Until"]);
    }
}
