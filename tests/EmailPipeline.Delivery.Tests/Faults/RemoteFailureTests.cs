using EmailPipeline.Contracts;

namespace EmailPipeline.Delivery.Tests.Faults;

/// <summary>
/// Whatever the peer or the network does, the attempt ends with one outcome per recipient and no exception (an
/// exception would fault the consumer and strand the request in the error queue). Recipients the peer had not
/// finally accepted are deferred; one that got its 250 after the data stays delivered; a session that failed is
/// never pooled.
/// </summary>
public sealed class RemoteFailureTests
{
    private static readonly string[] Two = ["a@relay.test", "b@relay.test"];

    [Fact]
    public async Task A_connection_dropped_during_relay_auth_is_deferred_not_faulted()
    {
        await using var server = new FaultyMailServer(auth: true) { On = l => l.StartsWith("AUTH", StringComparison.Ordinal) ? FaultyMailServer.Drop : null };
        await using var harness = new DeliveryHarness(server.Port, username: "relay-user");

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.4.2"), (o.Outcome, o.EnhancedStatus)));
        Assert.Contains("during AUTH", attempted.Outcomes[0].Diagnostic, StringComparison.Ordinal);
        Assert.Equal(0, harness.Pool.IdleCount);
        Assert.NotNull(attempted.Content);
    }

    [Fact]
    public async Task An_io_error_after_relay_auth_is_deferred_not_faulted()
    {
        await using var server = new FaultyMailServer(auth: true) { On = l => l.StartsWith("MAIL", StringComparison.Ordinal) ? FaultyMailServer.Drop : null };
        await using var harness = new DeliveryHarness(server.Port, username: "relay-user");

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.4.2"), (o.Outcome, o.EnhancedStatus)));
        Assert.Contains(server.Commands, c => c.StartsWith("AUTH", StringComparison.Ordinal));
        Assert.Equal(0, harness.Pool.IdleCount);
    }

    [Fact]
    public async Task A_garbled_auth_reply_defers_with_4_5_0()
    {
        await using var server = new FaultyMailServer(auth: true) { On = l => l.StartsWith("AUTH", StringComparison.Ordinal) ? "hello? who is this" : null };
        await using var harness = new DeliveryHarness(server.Port, username: "relay-user");

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.5.0"), (o.Outcome, o.EnhancedStatus)));
        Assert.Contains("cannot be parsed", attempted.Outcomes[0].Diagnostic, StringComparison.Ordinal);
        Assert.Equal(0, harness.Pool.IdleCount);
    }

    [Fact]
    public async Task A_refused_relay_auth_defers_with_4_7_8()
    {
        await using var server = new FaultyMailServer(auth: true) { On = l => l.StartsWith("AUTH", StringComparison.Ordinal) ? "535 5.7.8 Authentication credentials invalid" : null };
        await using var harness = new DeliveryHarness(server.Port, username: "relay-user");

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.7.8"), (o.Outcome, o.EnhancedStatus)));
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task A_connection_dropped_after_the_data_dot_defers_not_faults()
    {
        await using var server = new FaultyMailServer { On = l => l == "." ? FaultyMailServer.Drop : null };
        await using var harness = new DeliveryHarness(server.Port);

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        // The peer has the whole message but never said so: deferred (a retry may duplicate, never lose).
        Assert.Single(server.Messages);
        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.4.2"), (o.Outcome, o.EnhancedStatus)));
        Assert.Contains("during the transaction", attempted.Outcomes[0].Diagnostic, StringComparison.Ordinal);
        Assert.Equal(0, harness.Pool.IdleCount);
        Assert.False(harness.Journal.TryGet(attempted.AttemptId, "a@relay.test", out _));
    }

    [Fact]
    public async Task Recipients_accepted_at_rcpt_then_dropped_in_data_are_deferred_and_refused_ones_keep_their_reply()
    {
        await using var server = new FaultyMailServer
        {
            On = l => l.Contains("<gone@", StringComparison.Ordinal) ? "550 5.1.1 No such user" : l == "DATA" ? FaultyMailServer.Drop : null,
        };
        await using var harness = new DeliveryHarness(server.Port);

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", "a@relay.test", "gone@relay.test"));

        Assert.Equal((DeliveryOutcome.Deferred, "4.4.2"), (attempted.Outcomes[0].Outcome, attempted.Outcomes[0].EnhancedStatus));
        Assert.Equal((DeliveryOutcome.Bounced, "5.1.1", 550), (attempted.Outcomes[1].Outcome, attempted.Outcomes[1].EnhancedStatus, attempted.Outcomes[1].ReplyCode));
    }

    [Fact]
    public async Task A_garbled_reply_defers_the_recipients()
    {
        await using var server = new FaultyMailServer { On = l => l.StartsWith("RCPT", StringComparison.Ordinal) ? "OK fine whatever" : null };
        await using var harness = new DeliveryHarness(server.Port);

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.5.0"), (o.Outcome, o.EnhancedStatus)));
        Assert.Contains("cannot be parsed", attempted.Outcomes[0].Diagnostic, StringComparison.Ordinal);
        Assert.Empty(server.Messages);
        Assert.Equal(0, harness.Pool.IdleCount);
    }

    [Fact]
    public async Task A_garbled_greeting_defers_the_recipients()
    {
        await using var server = new FaultyMailServer { On = l => l == "<greeting>" ? "\u0016\u0003\u0001 not smtp at all" : null };
        await using var harness = new DeliveryHarness(server.Port);

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal(DeliveryOutcome.Deferred, o.Outcome));
        Assert.All(attempted.Outcomes, o => Assert.StartsWith("4.", o.EnhancedStatus, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_positive_reply_where_354_belongs_defers_and_never_counts_as_delivered()
    {
        await using var server = new FaultyMailServer { On = l => l == "DATA" ? "250 2.0.0 Ok" : null };
        await using var harness = new DeliveryHarness(server.Port);

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.5.0"), (o.Outcome, o.EnhancedStatus)));
        Assert.Equal(0, harness.Pool.IdleCount);
    }

    [Fact]
    public async Task No_answer_to_the_data_dot_defers_with_4_4_1()
    {
        await using var server = new FaultyMailServer { On = l => l == "." ? FaultyMailServer.Silent : null };
        await using var harness = new DeliveryHarness(server.Port, commandTimeout: TimeSpan.FromMilliseconds(800));

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.4.1"), (o.Outcome, o.EnhancedStatus)));
        Assert.Contains("no answer", attempted.Outcomes[0].Diagnostic, StringComparison.Ordinal);
        Assert.Equal(0, harness.Pool.IdleCount);
    }

    [Fact]
    public async Task No_greeting_defers_with_4_4_1()
    {
        await using var server = new FaultyMailServer { On = l => l == "<greeting>" ? FaultyMailServer.Silent : null };
        await using var harness = new DeliveryHarness(server.Port, commandTimeout: TimeSpan.FromMilliseconds(800));

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.4.1"), (o.Outcome, o.EnhancedStatus)));
    }

    [Fact]
    public async Task A_tls_handshake_the_peer_breaks_defers_with_4_7_5()
    {
        await using var server = new FaultyMailServer(startTls: true) { On = l => l == "STARTTLS" ? "220 2.0.0 Ready to start TLS\r\nthis is not a TLS record" : null };
        await using var harness = new DeliveryHarness(server.Port, requireTls: true);

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Deferred, "4.7.5"), (o.Outcome, o.EnhancedStatus)));
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task A_recipient_with_its_250_after_the_data_stays_delivered_when_quit_fails()
    {
        await using var server = new FaultyMailServer { On = l => l == "QUIT" ? FaultyMailServer.Drop : null };
        await using var harness = new DeliveryHarness(server.Port, maxIdle: 0); // no pool: QUIT right after the transaction

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", Two));

        Assert.All(attempted.Outcomes, o => Assert.Equal((DeliveryOutcome.Delivered, 250), (o.Outcome, o.ReplyCode)));
        Assert.Contains(server.Commands, c => c == "QUIT");
        Assert.Null(attempted.Content);
    }

    [Fact]
    public async Task A_failed_session_is_discarded_and_the_next_message_gets_a_fresh_connection()
    {
        int attempt = 0;
        await using var server = new FaultyMailServer { On = l => l == "." && Interlocked.Increment(ref attempt) == 2 ? FaultyMailServer.Drop : null };
        await using var harness = new DeliveryHarness(server.Port);

        Assert.Equal(DeliveryOutcome.Delivered, (await harness.AttemptAsync(DeliveryHarness.Request("relay.test", "first@relay.test"))).Outcomes[0].Outcome);
        Assert.Equal(1, harness.Pool.IdleCount);

        // The pooled session breaks after its data: a reused session's failure is retried once on a fresh
        // connection (the third transaction), which succeeds.
        DeliveryAttempted second = await harness.AttemptAsync(DeliveryHarness.Request("relay.test", "second@relay.test"));
        Assert.Equal(DeliveryOutcome.Delivered, second.Outcomes[0].Outcome);
        Assert.Equal(2, server.Connections);
        Assert.Equal(1, harness.Pool.IdleCount);
    }

    [Fact]
    public async Task An_lmtp_connection_dropped_between_data_replies_keeps_the_replies_already_given()
    {
        await using var server = new FaultyMailServer(lmtp: true) { On = l => l == ". b@lmtp.test" ? FaultyMailServer.Drop : null };
        await using var harness = new DeliveryHarness(server.Port);

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("lmtp.test", "a@lmtp.test", "b@lmtp.test"));

        Assert.Equal((DeliveryOutcome.Delivered, 250), (attempted.Outcomes[0].Outcome, attempted.Outcomes[0].ReplyCode));
        Assert.Equal((DeliveryOutcome.Deferred, "4.4.2"), (attempted.Outcomes[1].Outcome, attempted.Outcomes[1].EnhancedStatus));
        Assert.True(harness.Journal.TryGet(attempted.AttemptId, "a@lmtp.test", out _));
        Assert.False(harness.Journal.TryGet(attempted.AttemptId, "b@lmtp.test", out _));
    }

    [Fact]
    public async Task A_garbled_lmtp_reply_defers_with_4_5_0()
    {
        await using var server = new FaultyMailServer(lmtp: true) { On = l => l.StartsWith("RCPT", StringComparison.Ordinal) ? "yes" : null };
        await using var harness = new DeliveryHarness(server.Port);

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("lmtp.test", "a@lmtp.test"));

        Assert.Equal((DeliveryOutcome.Deferred, "4.5.0"), (attempted.Outcomes[0].Outcome, attempted.Outcomes[0].EnhancedStatus));
    }

    [Fact]
    public async Task An_lmtp_server_that_stops_answering_defers_with_4_4_1()
    {
        await using var server = new FaultyMailServer(lmtp: true) { On = l => l == "DATA" ? FaultyMailServer.Silent : null };
        await using var harness = new DeliveryHarness(server.Port, commandTimeout: TimeSpan.FromMilliseconds(800));

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("lmtp.test", "a@lmtp.test"));

        Assert.Equal((DeliveryOutcome.Deferred, "4.4.1"), (attempted.Outcomes[0].Outcome, attempted.Outcomes[0].EnhancedStatus));
    }

    [Fact]
    public async Task An_lmtp_greeting_that_never_comes_defers_with_4_4_1()
    {
        await using var server = new FaultyMailServer(lmtp: true) { On = l => l == "<greeting>" ? FaultyMailServer.Silent : null };
        await using var harness = new DeliveryHarness(server.Port, commandTimeout: TimeSpan.FromMilliseconds(800));

        DeliveryAttempted attempted = await harness.AttemptAsync(DeliveryHarness.Request("lmtp.test", "a@lmtp.test"));

        Assert.Equal((DeliveryOutcome.Deferred, "4.4.1"), (attempted.Outcomes[0].Outcome, attempted.Outcomes[0].EnhancedStatus));
    }
}
