using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.IntegrationTests.Infrastructure;

namespace EmailPipeline.Delivery.IntegrationTests;

[Collection(DeliveryCollection.Name)]
public sealed class SmtpDeliveryTests(DeliveryFixture fixture)
{
    /// <summary>What the ingress would have stored: our Received:, folded headers, a dot line, 8-bit text.</summary>
    internal static byte[] Message(string subject) => Encoding.UTF8.GetBytes(
        "Received: from client.test (client.test [192.0.2.10])\r\n\tby mx.localhost with ESMTPS id 01TEST\r\n\tfor <x@relay.test>; Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
        "From: Sender <sender@origin.test>\r\n" +
        "To: undisclosed-recipients:;\r\n" +
        $"Subject: {subject}\r\n" +
        "X-Odd-Header:   spacing\tkept   \r\n" +
        "DKIM-Signature: v=1; a=rsa-sha256; d=origin.test; s=s1;\r\n h=from:subject; bh=abc=; b=def=\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Transfer-Encoding: 8bit\r\n" +
        "\r\n" +
        "Grüße aus Köln\r\n" +
        ".a line starting with a dot\r\n" +
        "..and two\r\n" +
        "\r\n" +
        "trailing spaces   \r\n");

    [Fact]
    public async Task Relay_gets_the_bytes_unchanged_and_each_recipient_its_own_outcome()
    {
        byte[] content = Message("per recipient");
        DeliveryRequested request = DeliveryFixture.Request("relay.test", "sender@origin.test", content,
            "ok1@relay.test", "defer1@relay.test", "unknown1@relay.test") with
        {
            EnvelopeId = "env-123",
            Return = DsnReturn.Headers,
            Recipients =
            [
                new EnvelopeRecipient("ok1@relay.test", DsnNotify.Success | DsnNotify.Failure, "rfc822;ok1@relay.test"),
                new EnvelopeRecipient("defer1@relay.test", DsnNotify.Default, null),
                new EnvelopeRecipient("unknown1@relay.test", DsnNotify.Never, null),
            ],
        };

        DeliveryAttempted attempted = await fixture.DeliverAsync(request);

        Assert.Equal(request.AttemptId, attempted.AttemptId);
        Assert.Collection(attempted.Outcomes,
            o => Assert.Equal((DeliveryOutcome.Delivered, 250, "2.0.0", "127.0.0.1"), (o.Outcome, o.ReplyCode, o.EnhancedStatus, o.RemoteHost)),
            o => Assert.Equal((DeliveryOutcome.Deferred, 451, "4.2.1", "127.0.0.1"), (o.Outcome, o.ReplyCode, o.EnhancedStatus, o.RemoteHost)),
            o => Assert.Equal((DeliveryOutcome.Bounced, 550, "5.1.1", "127.0.0.1"), (o.Outcome, o.ReplyCode, o.EnhancedStatus, o.RemoteHost)));
        Assert.Contains("User unknown", attempted.Outcomes[2].Diagnostic, StringComparison.Ordinal);
        Assert.Equal(content, attempted.Content); // a deferred recipient: the body comes back for the retry

        ScriptedTransaction t = fixture.Smtp.Find("ok1@relay.test")!;
        Assert.NotNull(t);
        Assert.Equal(Broker.Text(content), Broker.Text(t.Data));
        Assert.Equal(content, t.Data);
        Assert.Equal("delivery.test.internal", t.Helo);
        Assert.Contains("ENVID=env-123", t.MailCommand, StringComparison.Ordinal);
        Assert.Contains("RET=HDRS", t.MailCommand, StringComparison.Ordinal);
        Assert.Contains("BODY=8BITMIME", t.MailCommand, StringComparison.Ordinal);
        Assert.Contains(t.RcptCommands, r => r.Contains("<ok1@relay.test>", StringComparison.Ordinal) && r.Contains("NOTIFY=SUCCESS,FAILURE", StringComparison.Ordinal));
        Assert.Contains(t.RcptCommands, r => r.Contains("<unknown1@relay.test>", StringComparison.Ordinal) && r.Contains("NOTIFY=NEVER", StringComparison.Ordinal));
        Assert.Equal(3, t.RcptCommands.Count); // all recipients in one transaction
    }

    [Fact]
    public async Task All_delivered_sends_no_content_back()
    {
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("relay.test", "sender@origin.test", Message("all ok"), "a@relay.test", "b@relay.test"));
        Assert.All(attempted.Outcomes, o => Assert.Equal(DeliveryOutcome.Delivered, o.Outcome));
        Assert.Null(attempted.Content);
    }

    [Fact]
    public async Task The_service_reuses_its_session_for_the_next_message_to_the_same_host()
    {
        int before = fixture.Smtp.Connections;
        for (int i = 0; i < 3; i++)
        {
            DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("relay.test", "sender@origin.test", Message("reuse"), $"reuse{i}@relay.test"));
            Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(attempted.Outcomes).Outcome);
        }

        // At most one new connection (none when a session from an earlier test was still idle).
        Assert.InRange(fixture.Smtp.Connections - before, 0, 1);
    }

    [Fact]
    public async Task Null_sender_is_sent_as_empty_reverse_path()
    {
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("relay.test", "", Message("a bounce"), "nullsender@relay.test"));
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(attempted.Outcomes).Outcome);
        Assert.StartsWith("MAIL FROM:<>", fixture.Smtp.Find("nullsender@relay.test")!.MailCommand, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smtp_sink_receives_the_message_unchanged()
    {
        byte[] content = Message("to the sink");
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("sink.test", "sender@origin.test", content, "someone@sink.test"));
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(attempted.Outcomes).Outcome);

        string dump = await WaitForDumpAsync("Subject: to the sink");
        // smtp-sink writes its own X-*: records and a three-line Received: first, lines end in LF, then an empty line.
        int start = dump.IndexOf("Received: from client.test", StringComparison.Ordinal);
        Assert.True(start > 0, dump);
        string expected = Encoding.UTF8.GetString(content).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
        Assert.Equal(expected, dump[start..]);
        Assert.Matches("(?m)^X-Rcpt-Args: .*<someone@sink.test>", dump[..start]);
    }

    [Fact]
    public async Task Connection_dropped_mid_data_defers_with_4_4_2()
    {
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("relay.test", "drop@origin.test", Message("dropped"), "r1@relay.test", "unknown2@relay.test"));
        Assert.Equal((DeliveryOutcome.Deferred, "4.4.2"), (attempted.Outcomes[0].Outcome, attempted.Outcomes[0].EnhancedStatus));
        Assert.Equal((DeliveryOutcome.Bounced, "5.1.1"), (attempted.Outcomes[1].Outcome, attempted.Outcomes[1].EnhancedStatus));
        Assert.NotNull(attempted.Content);
    }

    [Fact]
    public async Task Refused_sender_decides_every_recipient()
    {
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("relay.test", "badsender@origin.test", Message("refused"), "r1@relay.test", "r2@relay.test"));
        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Bounced, 553, "5.7.1"), (o.Outcome, o.ReplyCode, o.EnhancedStatus)));
    }

    [Fact]
    public async Task Smtputf8_message_goes_to_a_peer_that_offers_it()
    {
        DeliveryRequested request = DeliveryFixture.Request("relay.test", "jörg@origin.test", Message("utf8"), "müller@relay.test") with { SmtpUtf8 = true };
        DeliveryAttempted attempted = await fixture.DeliverAsync(request);
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(attempted.Outcomes).Outcome);
        Assert.Contains("SMTPUTF8", fixture.Smtp.Find("müller@relay.test")!.MailCommand, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smtputf8_message_to_a_peer_without_it_bounces_5_6_7()
    {
        DeliveryRequested request = DeliveryFixture.Request("ascii.test", "jörg@origin.test", Message("utf8 refused"), "müller@ascii.test") with { SmtpUtf8 = true };
        DeliveryAttempted attempted = await fixture.DeliverAsync(request);
        RecipientOutcome o = Assert.Single(attempted.Outcomes);
        Assert.Equal((DeliveryOutcome.Bounced, "5.6.7"), (o.Outcome, o.EnhancedStatus));
        Assert.Null(fixture.AsciiSmtp.Find("müller@ascii.test"));
    }

    [Fact]
    public async Task Required_tls_without_starttls_defers_4_7_10()
    {
        DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("tls.test", "sender@origin.test", Message("tls"), "secret@tls.test"));
        RecipientOutcome o = Assert.Single(attempted.Outcomes);
        Assert.Equal((DeliveryOutcome.Deferred, "4.7.10"), (o.Outcome, o.EnhancedStatus));
        Assert.Null(fixture.Smtp.Find("secret@tls.test"));
    }

    [Fact]
    public async Task Dead_host_defers_then_its_circuit_opens()
    {
        var outcomes = new List<RecipientOutcome>();
        for (int i = 0; i < 4; i++)
        {
            DeliveryAttempted attempted = await fixture.DeliverAsync(DeliveryFixture.Request("dead.test", "sender@origin.test", Message("dead"), $"r{i}@dead.test"));
            outcomes.Add(Assert.Single(attempted.Outcomes));
        }

        Assert.All(outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.4.1", 0), (o.Outcome, o.EnhancedStatus, o.ReplyCode)));
        Assert.Contains("ConnectionRefused", outcomes[0].Diagnostic, StringComparison.Ordinal);
        Assert.Contains("circuit is open", outcomes[^1].Diagnostic, StringComparison.Ordinal);
    }

    private async Task<string> WaitForDumpAsync(string marker)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            foreach (string file in Directory.GetFiles(fixture.SinkDirectory, "*", SearchOption.AllDirectories))
            {
                string text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file));
                if (text.Contains(marker, StringComparison.Ordinal))
                {
                    return text;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "smtp-sink wrote no dump with " + marker);
            await Task.Delay(100);
        }
    }
}
