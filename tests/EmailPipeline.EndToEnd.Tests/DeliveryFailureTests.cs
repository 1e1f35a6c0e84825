using EmailPipeline.EndToEnd.Tests.Support;
using MimeKit;

namespace EmailPipeline.EndToEnd.Tests;

/// <summary>What a sender sees when a peer says no, says later, or hangs up: retries, bounces and DSNs.</summary>
[Collection(PeerCollection.Name)]
public sealed class DeliveryFailureTests(PeerPipelineFixture f)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_451_on_the_first_attempt_is_retried_after_the_schedule_and_delivered()
    {
        string id = TestIds.New();
        string rcpt = $"softonce-{id}@peer.test";
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, "<sender@remote.test>", [$"<{rcpt}>"],
            SmtpSubmission.Message("sender@remote.test", rcpt, $"retry {id}", "second time lucky"));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        StoredRecipient r = view.Message.Recipient(rcpt);
        Assert.Equal("Delivered", r.State);
        Assert.True(r.Attempts >= 2, $"attempts {r.Attempts}");
        QueueStoreCli.AssertExactlyOneFinalState(view);
        StoredAttempt first = view.Attempts.Where(a => a.Recipient == rcpt).MinBy(a => a.AttemptNumber)!;
        StoredAttempt last = view.Attempts.Single(a => a.Recipient == rcpt && a.Outcome == "Delivered");
        Assert.Equal(("Deferred", 451, "4.2.1"), (first.Outcome, first.ReplyCode, first.EnhancedStatus));
        // RetrySchedule 2 s with 1 s delay steps: the retry comes no sooner than about 1.5 s later.
        Assert.True(last.AttemptedAt - first.AttemptedAt >= TimeSpan.FromSeconds(1), $"retried after {last.AttemptedAt - first.AttemptedAt}");

        Assert.True(f.Peer.Seen(rcpt) >= 2);
        Assert.Single(f.Peer.FindAll(rcpt), t => t.Recipients.Contains(rcpt));
    }

    [Fact]
    public async Task A_connection_dropped_in_the_middle_of_data_is_deferred_and_delivered_on_the_retry()
    {
        string id = TestIds.New();
        string rcpt = $"dropdata-{id}@peer.test";
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, "<sender@remote.test>", [$"<{rcpt}>"],
            SmtpSubmission.Message("sender@remote.test", rcpt, $"drop {id}", string.Join("\r\n", Enumerable.Repeat("a longer body line to be cut", 200))));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        StoredRecipient r = view.Message.Recipient(rcpt);
        Assert.Equal("Delivered", r.State);
        Assert.True(r.Attempts >= 2, $"attempts {r.Attempts}");
        QueueStoreCli.AssertExactlyOneFinalState(view);
        StoredAttempt first = view.Attempts.Where(a => a.Recipient == rcpt).MinBy(a => a.AttemptNumber)!;
        Assert.Equal("Deferred", first.Outcome);
        Assert.StartsWith("4.", first.EnhancedStatus, StringComparison.Ordinal);
        ScriptedTransaction t = Assert.Single(f.Peer.FindAll(rcpt));
        Assert.EndsWith("a longer body line to be cut\r\n", System.Text.Encoding.ASCII.GetString(t.Data), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_550_for_some_recipients_bounces_only_those_and_the_sender_gets_a_failure_dsn_with_the_full_message()
    {
        string id = TestIds.New();
        string sender = $"bouncefull-{id}@example.test";
        string ok = $"ok-{id}@peer.test";
        string unknown = $"unknown-{id}@peer.test";
        string silent = $"unknown-never-{id}@peer.test";
        string envid = $"env-{id}";
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, $"<{sender}> RET=FULL ENVID={envid}",
            [$"<{ok}>", $"<{unknown}> NOTIFY=FAILURE,DELAY ORCPT=rfc822;{unknown}", $"<{silent}> NOTIFY=NEVER"],
            SmtpSubmission.Message(sender, ok, $"bounce {id}", $"body marker {id}"));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        Assert.Equal("Delivered", view.Message.Recipient(ok).State);
        Assert.Equal("Bounced", view.Message.Recipient(unknown).State);
        Assert.Equal("Bounced", view.Message.Recipient(silent).State);
        QueueStoreCli.AssertExactlyOneFinalState(view);
        Assert.Single(f.Peer.FindAll(ok)); // the rejected recipients were in the same transaction (RCPT refused)

        DsnReader dsn = await SingleDsnAsync(sender);
        Assert.Equal(sender, ((MailboxAddress)dsn.Message.To.Single()).Address);
        Assert.StartsWith("MAILER-DAEMON@", ((MailboxAddress)dsn.Message.From.Single()).Address, StringComparison.Ordinal);
        Assert.Equal(envid, dsn.PerMessage["Original-Envelope-Id"]?.Trim());
        Assert.Equal("dns; mx.pipeline.test", dsn.PerMessage["Reporting-MTA"]?.Trim());

        // Only the recipient who asked for it (NOTIFY=FAILURE) is reported; NOTIFY=NEVER and the delivered one are not.
        HeaderList group = dsn.Single();
        Assert.Equal($"rfc822; {unknown}", group["Final-Recipient"]?.Trim());
        Assert.Equal($"rfc822;{unknown}", group["Original-Recipient"]?.Replace(" ", "", StringComparison.Ordinal).Trim());
        Assert.Equal("failed", group["Action"]?.Trim());
        Assert.Equal("5.1.1", group["Status"]?.Trim());
        Assert.StartsWith("smtp; 550", group["Diagnostic-Code"]?.Trim(), StringComparison.Ordinal);
        Assert.Contains("User unknown", group["Diagnostic-Code"], StringComparison.Ordinal);
        Assert.StartsWith("dns; ", group["Remote-MTA"]?.Trim(), StringComparison.Ordinal);
        Assert.True(group["Remote-MTA"]!.Trim().Length > 5, "empty Remote-MTA");

        await AssertDsnMessageDeliveredAsync(sender);
    }

    [Fact]
    public async Task The_failure_dsn_diagnostic_code_is_the_remote_reply_as_sent()
    {
        string id = TestIds.New();
        string sender = $"diag-{id}@example.test";
        string unknown = $"unknown-{id}@peer.test";
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, $"<{sender}>", [$"<{unknown}>"],
            SmtpSubmission.Message(sender, unknown, $"diag {id}", "x"));
        await f.Store.WaitFinalAsync(qid, Patience, f.Output);

        DsnReader dsn = await SingleDsnAsync(sender);
        Assert.Equal("smtp; 550 5.1.1 User unknown", dsn.Single()["Diagnostic-Code"]?.Trim());
        Assert.Contains("said: 550 5.1.1 User unknown\r\n", dsn.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_ret_full_the_failure_dsn_returns_the_whole_original()
    {
        string id = TestIds.New();
        string sender = $"bouncefull2-{id}@example.test";
        string unknown = $"unknown-{id}@peer.test";
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, $"<{sender}> RET=FULL", [$"<{unknown}>"],
            SmtpSubmission.Message(sender, unknown, $"bounce {id}", $"body marker {id}"));
        await f.Store.WaitFinalAsync(qid, Patience, f.Output);

        DsnReader dsn = await SingleDsnAsync(sender);
        var returned = Assert.IsType<MessagePart>(dsn.Returned);
        Assert.Equal($"bounce {id}", returned.Message?.Subject);
        Assert.Contains($"body marker {id}", returned.Message?.TextBody ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_ret_hdrs_the_failure_dsn_returns_only_the_headers()
    {
        string id = TestIds.New();
        string sender = $"bouncehdrs-{id}@example.test";
        string unknown = $"unknown-{id}@peer.test";
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, $"<{sender}> RET=HDRS", [$"<{unknown}>"],
            SmtpSubmission.Message(sender, unknown, $"headers only {id}", $"secret body {id}"));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        Assert.Equal("Bounced", view.Message.Recipient(unknown).State);
        QueueStoreCli.AssertExactlyOneFinalState(view);

        DsnReader dsn = await SingleDsnAsync(sender);
        Assert.Null(dsn.PerMessage["Original-Envelope-Id"]);
        HeaderList group = dsn.Single();
        Assert.Equal(("failed", "5.1.1"), (group["Action"]?.Trim(), group["Status"]?.Trim()));
        // MimeKit reads text/rfc822-headers as a header-only message part.
        MimeEntity returned = Assert.IsAssignableFrom<MimeEntity>(dsn.Returned);
        Assert.Equal("text/rfc822-headers", returned.ContentType.MimeType, ignoreCase: true);
        string text = returned.ToString();
        Assert.Contains($"Subject: headers only {id}", text, StringComparison.Ordinal);
        Assert.DoesNotContain($"secret body {id}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_dsn_for_notify_never_nor_for_the_null_sender()
    {
        string id = TestIds.New();
        string sender = $"neversender-{id}@example.test";
        int before = (await f.Store.ListAsync(all: true)).Count;
        string never = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, $"<{sender}>", [$"<unknown-a-{id}@peer.test> NOTIFY=NEVER"],
            SmtpSubmission.Message(sender, $"unknown-a-{id}@peer.test", $"never {id}", "no news wanted"));
        string nullSender = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, "<>", [$"<unknown-b-{id}@peer.test>"],
            SmtpSubmission.Message("mailer-daemon@remote.test", $"unknown-b-{id}@peer.test", $"null {id}", "a bounce of a bounce must not be"));

        foreach (string qid in new[] { never, nullSender })
        {
            StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
            Assert.Equal("Bounced", Assert.Single(view.Message.Recipients).State);
            QueueStoreCli.AssertExactlyOneFinalState(view);
        }

        await Task.Delay(TimeSpan.FromSeconds(3)); // a DSN, if one were sent, would be queued by now
        Assert.Empty(Maildir.Files(f.Pipeline.MaildirRoot, sender));
        IReadOnlyList<StoredMessage> after = await f.Store.ListAsync(all: true);
        Assert.True(after.Count == before + 2, $"{after.Count - before - 2} unexpected messages (DSNs?) in the store");
        Assert.DoesNotContain(after, m => m.Recipients.Any(r => r.Address.Length == 0));
    }

    [Fact]
    public async Task Notify_success_brings_a_success_dsn_with_the_headers()
    {
        string id = TestIds.New();
        string sender = $"success-{id}@example.test";
        string rcpt = $"ok-{id}@sink.test";
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, $"<{sender}> ENVID=ok-{id}", [$"<{rcpt}> NOTIFY=SUCCESS"],
            SmtpSubmission.Message(sender, rcpt, $"success {id}", "tell me when it is there"));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        Assert.Equal("Delivered", view.Message.Recipient(rcpt).State);
        QueueStoreCli.AssertExactlyOneFinalState(view);
        Assert.Single(await f.Sink.WaitForAsync(rcpt, Patience));

        DsnReader dsn = await SingleDsnAsync(sender);
        Assert.Equal($"ok-{id}", dsn.PerMessage["Original-Envelope-Id"]?.Trim());
        HeaderList group = dsn.Single();
        Assert.Equal($"rfc822; {rcpt}", group["Final-Recipient"]?.Trim());
        Assert.Equal("delivered", group["Action"]?.Trim());
        Assert.StartsWith("2.", group["Status"]?.Trim(), StringComparison.Ordinal);
        await AssertDsnMessageDeliveredAsync(sender);
    }

    /// <summary>Waits for the sender's one DSN, then a little longer to be sure a second does not follow.</summary>
    private async Task<DsnReader> SingleDsnAsync(string sender)
    {
        string[] files = await Maildir.WaitAsync(f.Pipeline.MaildirRoot, sender, Patience);
        Assert.True(files.Length > 0, $"no DSN for {sender}\n{f.Output()}");
        await Task.Delay(TimeSpan.FromSeconds(2));
        return DsnReader.Load(Assert.Single(Maildir.Files(f.Pipeline.MaildirRoot, sender)));
    }

    /// <summary>The DSN is mail like any other: from &lt;&gt;, and its recipient ends Delivered.</summary>
    private async Task AssertDsnMessageDeliveredAsync(string sender)
    {
        StoredMessage dsn = Assert.Single(await f.Store.ListAsync(all: true), m => m.Recipients.Any(r => r.Address == sender));
        Assert.Equal("", dsn.Sender);
        StoredView view = await f.Store.WaitFinalAsync(dsn.MessageId, Patience, f.Output);
        Assert.Equal("Delivered", view.Message.Recipient(sender).State);
        QueueStoreCli.AssertExactlyOneFinalState(view);
    }
}
