using System.Diagnostics.Metrics;
using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Delivering;
using EmailPipeline.Delivery.IntegrationTests.Infrastructure;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Routing;
using EmailPipeline.Delivery.Smtp;
using EmailPipeline.Delivery.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EmailPipeline.Delivery.IntegrationTests;

/// <summary>
/// The SMTP transport in-process against the scripted server: session reuse per destination and the
/// 8BITMIME downgrade. In-process so that the pool's limits can be small and the server observed directly.
/// </summary>
public sealed class ConnectionReuseTests
{
    [Fact]
    public async Task Consecutive_deliveries_to_one_host_share_one_connection()
    {
        await using var server = new ScriptedMailServer(FreePorts.Take(1)[0]);
        await using var smtp = new InProcessSmtp(server.Port);

        for (int i = 0; i < 3; i++)
        {
            IReadOnlyList<RecipientOutcome> outcomes = await smtp.DeliverAsync(Request($"r{i}@relay.test"));
            Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(outcomes).Outcome);
        }

        Assert.Equal(3, server.Transactions.Count);
        Assert.Equal(1, server.Connections);
        Assert.Equal(1, server.Ehlos);
        Assert.Equal(1, smtp.Pool.IdleCount);
    }

    [Fact]
    public async Task A_session_idle_past_the_limit_is_not_reused()
    {
        await using var server = new ScriptedMailServer(FreePorts.Take(1)[0]);
        await using var smtp = new InProcessSmtp(server.Port, idleTimeout: TimeSpan.FromMilliseconds(300));

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await smtp.DeliverAsync(Request("first@relay.test"))).Outcome);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await smtp.DeliverAsync(Request("second@relay.test"))).Outcome);

        Assert.Equal(2, server.Connections);
        Assert.Equal(2, server.Ehlos);
    }

    [Fact]
    public async Task A_session_the_server_closed_while_idle_is_replaced_without_a_deferral()
    {
        await using var server = new ScriptedMailServer(FreePorts.Take(1)[0]);
        await using var smtp = new InProcessSmtp(server.Port);

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await smtp.DeliverAsync(Request("before@relay.test"))).Outcome);
        server.DropConnections();
        await Task.Delay(200);
        RecipientOutcome after = Assert.Single(await smtp.DeliverAsync(Request("after@relay.test")));

        Assert.Equal((DeliveryOutcome.Delivered, 250), (after.Outcome, after.ReplyCode));
        Assert.NotNull(server.Find("after@relay.test"));
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_reused_session_that_breaks_mid_transaction_is_retried_once_on_a_fresh_connection()
    {
        await using var server = new ScriptedMailServer(FreePorts.Take(1)[0]);
        await using var smtp = new InProcessSmtp(server.Port);
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await smtp.DeliverAsync(Request("warm@relay.test"))).Outcome);

        // "drop" senders lose the connection in DATA every time: the reused session breaks, one fresh
        // connection is tried, and only its failure decides.
        DeliveryRequested dropped = DeliveryFixture.Request("relay.test", "drop@origin.test", SmtpDeliveryTests.Message("drop"), "d@relay.test");
        RecipientOutcome o = Assert.Single(await smtp.DeliverAsync(dropped));

        Assert.Equal((DeliveryOutcome.Deferred, "4.4.2"), (o.Outcome, o.EnhancedStatus));
        Assert.Equal(2, server.Connections);
        Assert.Equal(0, smtp.Pool.IdleCount);
    }

    [Fact]
    public async Task Concurrent_attempts_never_share_a_session()
    {
        await using var server = new ScriptedMailServer(FreePorts.Take(1)[0]);
        await using var smtp = new InProcessSmtp(server.Port, maxIdle: 4);
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await smtp.DeliverAsync(Request("warm@relay.test"))).Outcome);

        IReadOnlyList<RecipientOutcome>[] results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => smtp.DeliverAsync(Request($"c{i}@relay.test"))));

        Assert.All(results, r => Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(r).Outcome));
        Assert.Equal(5, server.Transactions.Count);
        Assert.InRange(server.Connections, 1, 4); // an attempt either had an idle session to itself or connected
        Assert.Equal(server.Connections, smtp.Pool.IdleCount);
    }

    [Fact]
    public async Task A_session_is_closed_after_the_message_limit()
    {
        await using var server = new ScriptedMailServer(FreePorts.Take(1)[0]);
        await using var smtp = new InProcessSmtp(server.Port, maxMessages: 2);

        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await smtp.DeliverAsync(Request($"m{i}@relay.test"))).Outcome);
        }

        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Reuse_off_opens_one_connection_per_attempt()
    {
        await using var server = new ScriptedMailServer(FreePorts.Take(1)[0]);
        await using var smtp = new InProcessSmtp(server.Port, maxIdle: 0);

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await smtp.DeliverAsync(Request("a@relay.test"))).Outcome);
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await smtp.DeliverAsync(Request("b@relay.test"))).Outcome);

        Assert.Equal(2, server.Connections);
        Assert.Equal(0, smtp.Pool.IdleCount);
    }

    [Fact]
    public async Task Eight_bit_message_goes_unchanged_with_BODY_8BITMIME_to_a_peer_that_offers_it()
    {
        await using var server = new ScriptedMailServer(FreePorts.Take(1)[0]);
        await using var smtp = new InProcessSmtp(server.Port);
        DeliveryRequested request = Request("eight@relay.test") with { Body = BodyType.EightBitMime };

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await smtp.DeliverAsync(request)).Outcome);

        ScriptedTransaction t = server.Find("eight@relay.test")!;
        Assert.Equal(request.Content, t.Data);
        Assert.Contains("BODY=8BITMIME", t.MailCommand, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, BodyType.EightBitMime)]
    [InlineData(true, BodyType.SevenBit)] // declared 7bit in the envelope, but the body has 8-bit bytes
    [InlineData(false, BodyType.SevenBit)] // no Content-Transfer-Encoding at all
    public async Task Eight_bit_message_to_a_peer_without_8BITMIME_is_converted_to_seven_bit(bool declared8bit, BodyType body)
    {
        await using var server = new ScriptedMailServer(FreePorts.Take(1)[0], eightBitMime: false);
        await using var smtp = new InProcessSmtp(server.Port);
        byte[] content = SmtpDeliveryTests.Message("downgrade");
        if (!declared8bit)
        {
            content = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(content).Replace("Content-Transfer-Encoding: 8bit\r\n", "", StringComparison.Ordinal));
        }

        DeliveryRequested request = Request("seven@relay.test") with { Body = body, Content = content };
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await smtp.DeliverAsync(request)).Outcome);

        ScriptedTransaction t = server.Find("seven@relay.test")!;
        Assert.DoesNotContain("BODY=8BITMIME", t.MailCommand, StringComparison.Ordinal);
        Assert.All(t.Data, b => Assert.True(b < 0x80, $"byte 0x{b:X2} in a message sent to a 7-bit peer"));
        Assert.Equal(Text(content), Text(t.Data));
        Assert.Contains("Subject: downgrade", Encoding.ASCII.GetString(t.Data), StringComparison.Ordinal);
    }

    [Fact]
    public void Eight_bit_detection_looks_at_the_body_only()
    {
        Assert.True(SmtpBodyPlan.HasEightBitBody(Encoding.UTF8.GetBytes("Subject: x\r\n\r\nGr\u00fc\u00dfe")));
        Assert.False(SmtpBodyPlan.HasEightBitBody(Encoding.UTF8.GetBytes("Subject: Gr\u00fc\u00dfe\r\n\r\nplain")));
        Assert.False(SmtpBodyPlan.HasEightBitBody(Encoding.UTF8.GetBytes("Subject: x\r\n\r\nplain")));
    }

    private static string Text(byte[] message)
    {
        using var stream = new MemoryStream(message);
        return MimeMessage.Load(stream).TextBody ?? "";
    }

    private static DeliveryRequested Request(string recipient) =>
        DeliveryFixture.Request("relay.test", "sender@origin.test", SmtpDeliveryTests.Message("reuse"), recipient);

    /// <summary>The real SMTP transport with the pool, wired as the service wires it, to one loopback relay.</summary>
    private sealed class InProcessSmtp : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly SmtpDelivery _smtp;
        private readonly DeliveryRoute _route;

        public InProcessSmtp(int port, TimeSpan? idleTimeout = null, int maxMessages = 100, int maxIdle = 2)
        {
            var options = Options.Create(new DeliveryOptions
            {
                HeloName = "delivery.test.internal",
                ConnectTimeout = TimeSpan.FromSeconds(5),
                CommandTimeout = TimeSpan.FromSeconds(10),
                ConnectionReuse = new ConnectionReuseOptions
                {
                    IdleTimeout = idleTimeout ?? TimeSpan.FromSeconds(30),
                    MaxMessagesPerConnection = maxMessages,
                    MaxIdlePerHost = maxIdle,
                },
            });
            _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var metrics = new DeliveryMetrics(_services.GetRequiredService<IMeterFactory>());
            // Breaks at the first connection failure: a reused session's failure must not count.
            var breaker = Options.Create(new CircuitBreakerOptions { MinimumThroughput = 2, FailureRatio = 0.01 });
            var circuits = new HostCircuits(options, breaker, metrics, NullLogger<HostCircuits>.Instance);
            Pool = new SmtpConnectionPool(options, TimeProvider.System);
            var journal = new DeliveryJournal(null, TimeSpan.FromHours(1), 1 << 20, TimeProvider.System, NullLogger.Instance);
            _smtp = new SmtpDelivery(new HostConnector(new NoDns()), circuits, Pool, journal, metrics, options, NullLogger<SmtpDelivery>.Instance);
            var rule = new TransportRule { Match = "relay.test", Host = "127.0.0.1", Port = port };
            _route = new DeliveryRoute(TransportKind.Smtp, rule, [new RouteHost("127.0.0.1", port)], null, "test");
        }

        public SmtpConnectionPool Pool { get; }

        public async Task<IReadOnlyList<RecipientOutcome>> DeliverAsync(DeliveryRequested request)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await _smtp.DeliverAsync(request, _route, timeout.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await Pool.DisposeAsync();
            await _services.DisposeAsync();
        }
    }

    private sealed class NoDns : IMxResolver
    {
        public Task<MxLookup> LookupMxAsync(string domain, CancellationToken cancellationToken) => throw new InvalidOperationException("no DNS in this test");

        public Task<AddressLookup> LookupAddressesAsync(string host, CancellationToken cancellationToken) => throw new InvalidOperationException("no DNS in this test");
    }
}
