using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.IntegrationTests.Infrastructure;

namespace EmailPipeline.Delivery.IntegrationTests;

[Collection(DeliveryCollection.Name)]
public sealed class LocalDeliveryTests(DeliveryFixture fixture)
{
    [Fact]
    public async Task Lmtp_replies_after_data_decide_each_recipient()
    {
        byte[] content = SmtpDeliveryTests.Message("lmtp");
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("lmtp.test", "sender@origin.test", content,
            "ok@lmtp.test", "full@lmtp.test", "gone@lmtp.test", "unknown@lmtp.test"));

        Assert.Collection(attempted.Outcomes,
            o => Assert.Equal((DeliveryOutcome.Delivered, 250, "2.0.0"), (o.Outcome, o.ReplyCode, o.EnhancedStatus)),
            o => Assert.Equal((DeliveryOutcome.Deferred, 452, "4.2.2"), (o.Outcome, o.ReplyCode, o.EnhancedStatus)),
            o => Assert.Equal((DeliveryOutcome.Bounced, 550, "5.1.1"), (o.Outcome, o.ReplyCode, o.EnhancedStatus)),
            o => Assert.Equal((DeliveryOutcome.Bounced, 550, "5.1.1"), (o.Outcome, o.ReplyCode, o.EnhancedStatus)));
        ScriptedTransaction t = fixture.Lmtp.Find("ok@lmtp.test")!;
        Assert.Equal(content, t.Data);
        Assert.Equal("delivery.test.internal", t.Helo);
        Assert.NotNull(attempted.Content);
    }

    [Fact]
    public async Task Maildir_files_land_in_new_and_escapes_bounce()
    {
        byte[] content = SmtpDeliveryTests.Message("maildir");
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("maildir.test", "sender@origin.test", content,
            "alice@maildir.test", "../../etc@maildir.test"));

        Assert.Equal(DeliveryOutcome.Delivered, attempted.Outcomes[0].Outcome);
        Assert.Equal((DeliveryOutcome.Bounced, "5.1.3"), (attempted.Outcomes[1].Outcome, attempted.Outcomes[1].EnhancedStatus));
        string file = Assert.Single(Directory.GetFiles(Path.Combine(fixture.MaildirRoot, "maildir.test", "alice", "new")));
        byte[] stored = await File.ReadAllBytesAsync(file);
        Assert.Equal("Return-Path: <sender@origin.test>\r\nDelivered-To: alice@maildir.test\r\n" + Encoding.UTF8.GetString(content), Encoding.UTF8.GetString(stored));
        Assert.Empty(Directory.GetFiles(Path.Combine(fixture.MaildirRoot, "maildir.test", "alice", "tmp")));
    }
}
