using System.Text;
using EmailPipeline.Ingress.IntegrationTests.Infrastructure;

namespace EmailPipeline.Ingress.IntegrationTests;

/// <summary>
/// What a polite client never sends: wrong sequences, bad syntax, limits, bare line endings, smuggling,
/// pipelined input around STARTTLS. Every case must get its RFC reply and leave the session in step.
/// </summary>
[Collection(IngressCollection.Name)]
public sealed class ProtocolTests(IngressFixture ingress)
{
    private async Task<SmtpWire> MxAsync(string? from = null)
    {
        var wire = await SmtpWire.ConnectAsync(ingress.MxPort, from);
        Assert.StartsWith("250-", await wire.CommandAsync("EHLO client.test"), StringComparison.Ordinal);
        return wire;
    }

    private static void AssertReply(string expectedStart, string reply) =>
        Assert.True(reply.StartsWith(expectedStart, StringComparison.Ordinal), $"expected '{expectedStart}…', got '{reply}'");

    [Fact]
    public async Task Commands_out_of_sequence_get_503_5_5_1()
    {
        await using var wire = await SmtpWire.ConnectAsync(ingress.MxPort);
        AssertReply("503 5.5.1", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("250", await wire.CommandAsync("EHLO client.test"));
        AssertReply("503 5.5.1", await wire.CommandAsync("RCPT TO:<user@example.test>"));
        AssertReply("503 5.5.1", await wire.CommandAsync("DATA"));
        AssertReply("250 2.1.0", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("503 5.5.1 Nested MAIL", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("503 5.5.1", await wire.CommandAsync("DATA"));
        AssertReply("250 2.0.0", await wire.CommandAsync("RSET"));
        AssertReply("503 5.5.1", await wire.CommandAsync("RCPT TO:<user@example.test>"));
        AssertReply("221 2.0.0", await wire.CommandAsync("QUIT"));
    }

    [Fact]
    public async Task Data_after_only_refused_recipients_gets_554()
    {
        await using var wire = await MxAsync();
        AssertReply("250", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("550 5.7.1 Relaying denied", await wire.CommandAsync("RCPT TO:<victim@elsewhere.test>"));
        AssertReply("554 5.5.1", await wire.CommandAsync("DATA"));
    }

    [Fact]
    public async Task Syntax_errors_get_500_or_501_with_enhanced_codes()
    {
        await using var wire = await MxAsync();
        AssertReply("500 5.5.2", await wire.CommandAsync("FROBNICATE now"));
        AssertReply("501 5.5.4", await wire.CommandAsync("MAIL FROM:a@remote.test"));
        AssertReply("501 5.1.7", await wire.CommandAsync("MAIL FROM:<a@@remote.test>"));
        AssertReply("555 5.5.4", await wire.CommandAsync("MAIL FROM:<a@remote.test> FOO=BAR"));
        AssertReply("501 5.5.4", await wire.CommandAsync("DATA now"));
        AssertReply("500 5.5.2", await wire.CommandAsync("NOOP\nMAIL FROM:<x@y.test>"));
        AssertReply("250", await wire.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task A_line_too_long_gets_500_5_5_2_and_the_session_stays_in_step()
    {
        await using var wire = await MxAsync();
        AssertReply("500 5.5.2", await wire.CommandAsync("NOOP " + new string('x', 20_000)));
        AssertReply("250", await wire.CommandAsync("NOOP"));
        AssertReply("500 5.5.2", await wire.CommandAsync("MAIL FROM:<a@remote.test> " + new string('y', 3000)));
        AssertReply("250 2.1.0", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
    }

    [Fact]
    public async Task Too_many_recipients_get_452_4_5_3()
    {
        await using var wire = await MxAsync();
        AssertReply("250", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        for (int i = 0; i < IngressFixture.MaxRecipients; i++)
        {
            AssertReply("250 2.1.5", await wire.CommandAsync($"RCPT TO:<u{i}@example.test>"));
        }

        AssertReply("452 4.5.3", await wire.CommandAsync("RCPT TO:<one-too-many@example.test>"));
    }

    [Fact]
    public async Task Mx_accepts_local_relay_and_bare_postmaster_but_denies_relaying()
    {
        await using var wire = await MxAsync();
        AssertReply("502 5.5.1", await wire.CommandAsync("AUTH PLAIN AGFsaWNlAHg="));
        AssertReply("250", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("250 2.1.5", await wire.CommandAsync("RCPT TO:<User@EXAMPLE.test>"));
        AssertReply("250 2.1.5", await wire.CommandAsync("RCPT TO:<list@relay.test>"));
        AssertReply("250 2.1.5", await wire.CommandAsync("RCPT TO:<Postmaster>"));
        AssertReply("550 5.7.1", await wire.CommandAsync("RCPT TO:<victim@elsewhere.test>"));
        AssertReply("550 5.7.1", await wire.CommandAsync("RCPT TO:<user@sub.example.test>"));
        AssertReply("550 5.7.1", await wire.CommandAsync("RCPT TO:<user@[127.0.0.1]>"));
        AssertReply("503 5.5.1", await wire.CommandAsync("AUTH PLAIN AGFsaWNlAHg="));
    }

    [Fact]
    public async Task Submission_requires_tls_then_auth_before_mail()
    {
        await using var wire = await SmtpWire.ConnectAsync(ingress.SubmissionPort);
        string ehlo = await wire.CommandAsync("EHLO client.test");
        Assert.Contains("STARTTLS", ehlo, StringComparison.Ordinal);
        Assert.DoesNotContain("AUTH", ehlo, StringComparison.Ordinal);
        AssertReply("530 5.7.0", await wire.CommandAsync("MAIL FROM:<alice@example.test>"));
        AssertReply("538 5.7.11", await wire.CommandAsync("AUTH PLAIN AGFsaWNlAHg="));
        AssertReply("220 2.0.0", await wire.CommandAsync("STARTTLS"));
        await wire.StartTlsAsync();
        ehlo = await wire.CommandAsync("EHLO client.test");
        Assert.Contains("AUTH PLAIN LOGIN CRAM-MD5", ehlo, StringComparison.Ordinal);
        Assert.DoesNotContain("STARTTLS", ehlo, StringComparison.Ordinal);
        AssertReply("530 5.7.0 Authentication required", await wire.CommandAsync("MAIL FROM:<alice@example.test>"));
        string plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0alice\0{IngressFixture.AlicePassword}"));
        AssertReply("235 2.7.0", await wire.CommandAsync($"AUTH PLAIN {plain}"));
        AssertReply("503 5.5.1", await wire.CommandAsync($"AUTH PLAIN {plain}"));
        AssertReply("553 5.7.1", await wire.CommandAsync("MAIL FROM:<bob@example.test>"));
        AssertReply("250 2.1.0", await wire.CommandAsync("MAIL FROM:<alice@example.test>"));
    }

    [Fact]
    public async Task Input_pipelined_after_starttls_is_discarded_not_executed()
    {
        await using var wire = await SmtpWire.ConnectAsync(ingress.SubmissionPort);
        await wire.CommandAsync("EHLO client.test");
        // The classic STARTTLS injection: a command smuggled in the plaintext after STARTTLS.
        await wire.SendAsync("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n");
        AssertReply("220 2.0.0", await wire.ReadReplyAsync());
        await wire.StartTlsAsync();
        string plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0alice\0{IngressFixture.AlicePassword}"));
        // Had the MAIL been kept, this EHLO's reply would be preceded by a "250 2.1.0" for it.
        AssertReply("250-", await wire.CommandAsync("EHLO client.test"));
        AssertReply("235", await wire.CommandAsync($"AUTH PLAIN {plain}"));
        AssertReply("503 5.5.1", await wire.CommandAsync("RCPT TO:<friend@far.test>"));
    }

    [Fact]
    public async Task Pipelined_commands_get_their_replies_in_order()
    {
        await using var wire = await MxAsync();
        await wire.SendAsync("MAIL FROM:<a@remote.test>\r\nRCPT TO:<one@example.test>\r\nRCPT TO:<no@elsewhere.test>\r\nRCPT TO:<two@example.test>\r\nDATA\r\n");
        AssertReply("250 2.1.0", await wire.ReadReplyAsync());
        AssertReply("250 2.1.5", await wire.ReadReplyAsync());
        AssertReply("550 5.7.1", await wire.ReadReplyAsync());
        AssertReply("250 2.1.5", await wire.ReadReplyAsync());
        AssertReply("354", await wire.ReadReplyAsync());
        await wire.SendAsync("Subject: pipelined\r\n\r\nhi\r\n.\r\nQUIT\r\n");
        AssertReply("250 2.0.0 Ok: queued as ", await wire.ReadReplyAsync());
        AssertReply("221", await wire.ReadReplyAsync());
        QueuedMessage message = Assert.Single(await ingress.QueuedAsync());
        Assert.Equal(["one@example.test", "two@example.test"], message.Recipients);
    }

    [Fact]
    public async Task Size_is_checked_at_mail_and_enforced_during_data_and_bdat()
    {
        await using var wire = await MxAsync();
        AssertReply("552 5.3.4", await wire.CommandAsync($"MAIL FROM:<a@remote.test> SIZE={IngressFixture.MaxMessageSize + 1}"));
        AssertReply("250", await wire.CommandAsync("MAIL FROM:<a@remote.test> SIZE=1000"));
        AssertReply("250", await wire.CommandAsync("RCPT TO:<user@example.test>"));
        AssertReply("354", await wire.CommandAsync("DATA"));
        string line = new string('z', 998) + "\r\n";
        var big = new StringBuilder();
        while (big.Length <= IngressFixture.MaxMessageSize)
        {
            big.Append(line);
        }

        await wire.SendAsync(big + ".\r\n");
        AssertReply("552 5.3.4", await wire.ReadReplyAsync());
        AssertReply("250", await wire.CommandAsync("NOOP"));

        AssertReply("250", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("250", await wire.CommandAsync("RCPT TO:<user@example.test>"));
        byte[] chunk = Encoding.ASCII.GetBytes(big.ToString());
        await wire.SendAsync(Encoding.ASCII.GetBytes($"BDAT {chunk.Length} LAST\r\n").Concat(chunk).ToArray());
        AssertReply("552 5.3.4", await wire.ReadReplyAsync());
        AssertReply("250", await wire.CommandAsync("NOOP"));
        Assert.Empty(await ingress.QueuedAsync(atLeast: 0, waitSeconds: 1));
    }

    [Fact]
    public async Task Bdat_chunks_are_joined_exactly_and_data_may_not_follow_bdat()
    {
        await using var wire = await MxAsync();
        AssertReply("250", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("250", await wire.CommandAsync("RCPT TO:<user@example.test>"));
        await wire.SendAsync("BDAT 22\r\nSubject: chunks\r\n\r\n.\r\n");
        AssertReply("250 2.0.0 22 octets", await wire.ReadReplyAsync());
        AssertReply("503 5.5.1", await wire.CommandAsync("DATA"));
        await wire.SendAsync("BDAT 6\r\nend.\r\n");
        AssertReply("250", await wire.ReadReplyAsync());
        AssertReply("250 2.0.0 Ok: queued as", await wire.CommandAsync("BDAT 0 LAST"));
        (_, byte[] body) = Assert.Single(await ingress.QueuedAsync()).SplitReceived();
        Assert.Equal("Subject: chunks\r\n\r\n.\r\nend.\r\n", Encoding.ASCII.GetString(body));

        // A chunk out of sequence is still read (its bytes are not commands), then refused.
        await wire.SendAsync("BDAT 12 LAST\r\nNOOP\r\nQUIT\r\n");
        AssertReply("503 5.5.1", await wire.ReadReplyAsync());
        AssertReply("250", await wire.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task Bare_line_endings_in_data_are_refused_and_nothing_is_queued()
    {
        await using var wire = await MxAsync();
        AssertReply("250", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("250", await wire.CommandAsync("RCPT TO:<user@example.test>"));
        AssertReply("354", await wire.CommandAsync("DATA"));
        await wire.SendAsync("Subject: bare\r\n\r\nline with bare LF\nend\r\n.\r\n");
        AssertReply("550 5.5.2", await wire.ReadReplyAsync());
        AssertReply("250", await wire.CommandAsync("NOOP"));
        Assert.Empty(await ingress.QueuedAsync(atLeast: 0, waitSeconds: 1));
    }

    [Theory]
    [InlineData("\n.\n")]
    [InlineData("\r.\r")]
    [InlineData("\n.\r\n")]
    [InlineData("\r\n.\n")]
    [InlineData("\r\n.\r")]
    [InlineData("\r.\r\n")]
    public async Task Smuggled_end_of_data_never_starts_a_second_transaction(string fakeEnd)
    {
        await using var wire = await MxAsync();
        AssertReply("250", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("250", await wire.CommandAsync("RCPT TO:<user@example.test>"));
        AssertReply("354", await wire.CommandAsync("DATA"));
        await wire.SendAsync("Subject: outer\r\n\r\nhello" + fakeEnd +
                             "MAIL FROM:<admin@example.test>\r\nRCPT TO:<user@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n");
        // One transaction, one reply: the refusal of the bare line ending. No 250s for smuggled commands.
        AssertReply("550 5.5.2", await wire.ReadReplyAsync());
        AssertReply("250 2.0.0 Ok", await wire.CommandAsync("NOOP"));
        Assert.Empty(await ingress.QueuedAsync(atLeast: 0, waitSeconds: 1));
    }

    [Fact]
    public async Task Helo_sessions_have_no_extensions_and_utf8_needs_smtputf8()
    {
        await using var wire = await SmtpWire.ConnectAsync(ingress.MxPort);
        AssertReply("250 mx.test.internal", await wire.CommandAsync("HELO old.client.test"));
        AssertReply("555 5.5.4", await wire.CommandAsync("MAIL FROM:<a@remote.test> SIZE=100"));
        AssertReply("250", await wire.CommandAsync("EHLO new.client.test"));
        AssertReply("553 5.6.7", await wire.CommandAsync("MAIL FROM:<ålice@例子.测试>"));
        AssertReply("250", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("553 5.6.7", await wire.CommandAsync("RCPT TO:<用户@例子.测试>"));
        AssertReply("252 2.5.0", await wire.CommandAsync("VRFY user"));
        AssertReply("502 5.5.1", await wire.CommandAsync("EXPN staff"));
        AssertReply("214", await wire.CommandAsync("HELP"));
    }

    [Fact]
    public async Task An_idle_session_gets_421_4_4_2_after_the_command_timeout()
    {
        await using var wire = await MxAsync();
        AssertReply("421 4.4.2", await wire.ReadReplyAsync(TimeSpan.FromSeconds(20)));
        Assert.True(await wire.IsClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Too_many_errors_end_the_session_with_421()
    {
        await using var wire = await MxAsync();
        for (int i = 0; i < 9; i++)
        {
            AssertReply("500", await wire.CommandAsync("BOGUS"));
        }

        AssertReply("500", await wire.CommandAsync("BOGUS"));
        AssertReply("421 4.7.0", await wire.ReadReplyAsync());
        Assert.True(await wire.IsClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Connections_over_the_per_client_limit_get_421()
    {
        var open = new List<SmtpWire>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                open.Add(await SmtpWire.ConnectAsync(ingress.MxPort, "127.0.0.20"));
            }

            await using var refused = await SmtpWire.ConnectAsync(ingress.MxPort, "127.0.0.20", readGreeting: false);
            AssertReply("421 4.7.0", await refused.ReadReplyAsync());

            // Another client address is not affected.
            await using var other = await SmtpWire.ConnectAsync(ingress.MxPort, "127.0.0.21");
        }
        finally
        {
            foreach (SmtpWire w in open)
            {
                await w.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_client_talking_before_the_greeting_is_refused()
    {
        await using var eager = await SmtpWire.ConnectAsync(ingress.SlowGreetingPort, readGreeting: false);
        await eager.SendAsync("EHLO spam.test\r\n");
        AssertReply("554 5.5.0", await eager.ReadReplyAsync());
        Assert.True(await eager.IsClosedAsync(TimeSpan.FromSeconds(5)));

        await using var polite = await SmtpWire.ConnectAsync(ingress.SlowGreetingPort);
        AssertReply("250", await polite.CommandAsync("EHLO polite.test"));
    }

    [Fact]
    public async Task Proxy_protocol_v1_and_v2_give_the_real_client_address()
    {
        await using (var v1 = await SmtpWire.ConnectAsync(ingress.ProxyPort, readGreeting: false))
        {
            await v1.SendAsync("PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n");
            AssertReply("220", await v1.ReadReplyAsync());
            await SendSimpleMessageAsync(v1);
        }

        QueuedMessage first = Assert.Single(await ingress.QueuedAsync());
        Assert.Equal("203.0.113.7", first.Message.GetProperty("session").GetProperty("clientAddress").GetString());
        Assert.Contains("[203.0.113.7]", first.SplitReceived().Received, StringComparison.Ordinal);

        byte[] v2Header =
        [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x21, 0x00, 0x24,
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42,
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
            0x9c, 0x40, 0x00, 0x19,
        ];
        await using (var v2 = await SmtpWire.ConnectAsync(ingress.ProxyPort, readGreeting: false))
        {
            await v2.SendAsync(v2Header);
            AssertReply("220", await v2.ReadReplyAsync());
            await SendSimpleMessageAsync(v2);
        }

        QueuedMessage second = Assert.Single(await ingress.QueuedAsync());
        Assert.Equal("2001:db8::42", second.Message.GetProperty("session").GetProperty("clientAddress").GetString());
        Assert.Contains("[IPv6:2001:db8::42]", second.SplitReceived().Received, StringComparison.Ordinal);

        await using var junk = await SmtpWire.ConnectAsync(ingress.ProxyPort, readGreeting: false);
        await junk.SendAsync("EHLO no-proxy-header.test\r\n");
        Assert.True(await junk.IsClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Repeated_authentication_failures_lock_the_client_out()
    {
        const string client = "127.0.0.30";
        string wrong = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0alice\0wrong-password"));
        await using (var wire = await SmtpWire.ConnectAsync(ingress.SubmissionPort, client))
        {
            await wire.CommandAsync("EHLO c.test");
            await wire.CommandAsync("STARTTLS");
            await wire.StartTlsAsync();
            await wire.CommandAsync("EHLO c.test");
            AssertReply("535 5.7.8", await wire.CommandAsync($"AUTH PLAIN {wrong}"));
            AssertReply("334", await wire.CommandAsync("AUTH LOGIN"));
            AssertReply("334", await wire.CommandAsync(Convert.ToBase64String("alice"u8)));
            AssertReply("535 5.7.8", await wire.CommandAsync(Convert.ToBase64String("nope"u8)));
            AssertReply("535 5.7.8", await wire.CommandAsync($"AUTH PLAIN {wrong}"));
            AssertReply("421 4.7.0", await wire.ReadReplyAsync());
        }

        await using var again = await SmtpWire.ConnectAsync(ingress.SubmissionPort, client);
        await again.CommandAsync("EHLO c.test");
        await again.CommandAsync("STARTTLS");
        await again.StartTlsAsync();
        await again.CommandAsync("EHLO c.test");
        string right = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0alice\0{IngressFixture.AlicePassword}"));
        AssertReply("421 4.7.0", await again.CommandAsync($"AUTH PLAIN {right}"));
    }

    [Fact]
    public async Task Cancelling_sasl_exchanges_after_their_challenge_counts_towards_the_lockout()
    {
        // A guesser takes LOGIN's challenges and cancels with "*" before a wrong answer could count.
        const string client = "127.0.0.31";
        await using var wire = await SmtpWire.ConnectAsync(ingress.SubmissionPort, client);
        await wire.CommandAsync("EHLO c.test");
        await wire.CommandAsync("STARTTLS");
        await wire.StartTlsAsync();
        await wire.CommandAsync("EHLO c.test");
        for (int i = 0; i < 2; i++)
        {
            AssertReply("334", await wire.CommandAsync("AUTH LOGIN"));
            AssertReply("334", await wire.CommandAsync(Convert.ToBase64String("alice"u8)));
            AssertReply("501", await wire.CommandAsync("*"));
        }

        AssertReply("334", await wire.CommandAsync("AUTH LOGIN"));
        AssertReply("501", await wire.CommandAsync("not base64!"));
        AssertReply("421 4.7.0", await wire.ReadReplyAsync());
        Assert.True(await wire.IsClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task An_ipv6_listener_accepts_mail_and_records_the_ipv6_client()
    {
        await using (var wire = await SmtpWire.ConnectAsync(ingress.Ipv6Port, ipv6: true))
        {
            await SendSimpleMessageAsync(wire);
        }

        QueuedMessage message = Assert.Single(await ingress.QueuedAsync());
        Assert.Equal("::1", message.Message.GetProperty("session").GetProperty("clientAddress").GetString());
        Assert.Contains("[IPv6:::1]", message.SplitReceived().Received, StringComparison.Ordinal);
    }

    private static async Task SendSimpleMessageAsync(SmtpWire wire)
    {
        AssertReply("250", await wire.CommandAsync("EHLO proxied.test"));
        AssertReply("250", await wire.CommandAsync("MAIL FROM:<a@remote.test>"));
        AssertReply("250", await wire.CommandAsync("RCPT TO:<user@example.test>"));
        AssertReply("354", await wire.CommandAsync("DATA"));
        AssertReply("250 2.0.0 Ok: queued as", await wire.CommandAsync("Subject: proxied\r\n\r\nhi\r\n."));
        AssertReply("221", await wire.CommandAsync("QUIT"));
    }
}
