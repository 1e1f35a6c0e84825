using System.Globalization;
using System.Text;
using EmailPipeline.Ingress.IntegrationTests.Infrastructure;

namespace EmailPipeline.Ingress.IntegrationTests;

/// <summary>Attacks on the ingress's door (issue 12), each tried with swaks against the running ingress and broker
/// (the Policy service is off here, as it may be in a deployment or while it fails open).</summary>
[Collection(IngressCollection.Name)]
public sealed class HardenedEdgeTests(IngressFixture ingress)
{
    [Fact]
    public async Task A_message_that_already_passed_fifty_relays_is_refused_554_5_4_6_as_a_loop_and_not_queued()
    {
        var wire = new StringBuilder();
        for (int i = 0; i < 50; i++)
        {
            wire.Append(CultureInfo.InvariantCulture, $"Received: from hop{i}.remote.test by hop{i + 1}.remote.test; Thu, 3 Dec 2026 10:00:00 +0000\r\n");
        }

        wire.Append("From: looper@remote.test\r\nTo: user@example.test\r\nSubject: around and around\r\n\r\nagain\r\n.\r\n");
        var swaks = await SendAsync(wire.ToString());

        Assert.Contains("<** 554 5.4.6 Too many hops", swaks.Output, StringComparison.Ordinal);
        Assert.Empty(await ingress.QueuedAsync());
    }

    [Fact]
    public async Task Forty_nine_earlier_relays_are_still_accepted()
    {
        var wire = new StringBuilder();
        for (int i = 0; i < 49; i++)
        {
            wire.Append(CultureInfo.InvariantCulture, $"received : from hop{i}.remote.test; Thu, 3 Dec 2026 10:00:00 +0000\r\n");
        }

        wire.Append("From: far@remote.test\r\nTo: user@example.test\r\nSubject: a long way\r\n\r\narrived\r\n.\r\n");
        var swaks = await SendAsync(wire.ToString());

        Assert.Contains("<-  250 2.0.0 Ok: queued as", swaks.Output, StringComparison.Ordinal);
        Assert.Single(await ingress.QueuedAsync());
    }

    [Fact]
    public async Task A_forged_authentication_results_naming_our_host_is_removed_even_with_the_policy_service_off()
    {
        string wire = "Authentication-Results: mx.test.internal; spf=pass smtp.mailfrom=bank.example; dkim=pass; dmarc=pass\r\n" +
                      "Authentication-Results: mx.other.example; spf=fail\r\n" +
                      "From: ceo@bank.example\r\nTo: user@example.test\r\nSubject: wire the money\r\n\r\ntrust me\r\n.\r\n";
        var swaks = await SendAsync(wire);

        Assert.Contains("<-  250 2.0.0 Ok: queued as", swaks.Output, StringComparison.Ordinal);
        QueuedMessage message = Assert.Single(await ingress.QueuedAsync());
        string content = Encoding.ASCII.GetString(message.Content);
        Assert.DoesNotContain("mx.test.internal; spf=pass", content, StringComparison.Ordinal);
        Assert.Contains("Authentication-Results: mx.other.example; spf=fail\r\n", content, StringComparison.Ordinal); // another's claim stays
        Assert.EndsWith("From: ceo@bank.example\r\nTo: user@example.test\r\nSubject: wire the money\r\n\r\ntrust me\r\n", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proxy_header_from_a_peer_that_is_not_the_load_balancer_is_refused_and_its_claimed_address_never_used()
    {
        // An attacker who reaches the PROXY listener directly claims an address in a victim's SPF record.
        await using var attacker = await SmtpWire.ConnectAsync(ingress.ProxyPort, "127.0.0.66", readGreeting: false);
        await attacker.SendAsync("PROXY TCP4 198.51.100.25 192.0.2.1 40000 25\r\n");
        string reply = await attacker.ReadReplyAsync();
        Assert.StartsWith("421 4.7.0", reply, StringComparison.Ordinal);
        Assert.True(await attacker.IsClosedAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(await ingress.QueuedAsync());

        // The load balancer's own connections still carry the client's address.
        await using var balancer = await SmtpWire.ConnectAsync(ingress.ProxyPort, "127.0.0.1", readGreeting: false);
        await balancer.SendAsync("PROXY TCP4 203.0.113.9 192.0.2.1 40000 25\r\n");
        Assert.StartsWith("220", await balancer.ReadReplyAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_pipelines_commands_and_never_reads_the_replies_loses_its_session_after_the_write_timeout()
    {
        // NOOPs sent as fast as the socket takes them, replies never read: the client's receive buffer and our send
        // buffer fill, our flush waits, and after Limits:WriteTimeout (3 s here) the session is dropped instead of
        // holding its slot for ever.
        // From an address of its own: sessions other tests left behind from 127.0.0.1 count against the per-client limit.
        using var tcp = new System.Net.Sockets.TcpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.77"), 0));
        tcp.ReceiveBufferSize = 4096;
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, ingress.MxPort);
        System.Net.Sockets.NetworkStream stream = tcp.GetStream();
        byte[] greeting = new byte[512];
        int read = await stream.ReadAsync(greeting);
        Assert.StartsWith("220", Encoding.ASCII.GetString(greeting, 0, read), StringComparison.Ordinal);
        byte[] burst = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("NOOP\r\n", 10_000)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Exception? ended = null;
        for (int i = 0; i < 2_000 && clock.Elapsed < TimeSpan.FromSeconds(60); i++)
        {
            try
            {
                using var sendTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await stream.WriteAsync(burst, sendTimeout.Token);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                ended = ex;
                break;
            }
        }

        Assert.True(ended is IOException or System.Net.Sockets.SocketException,
            $"the ingress still took commands after {clock.Elapsed.TotalSeconds:F0} s of unread replies ({ended?.GetType().Name ?? "no error"}: {ended?.Message})");
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(2) && clock.Elapsed < TimeSpan.FromSeconds(40), $"dropped after {clock.Elapsed} ({ended?.Message})");
    }

    private async Task<ExternalTool.Result> SendAsync(string wire)
    {
        string file = Path.Combine(Path.GetTempPath(), $"ep-{Guid.NewGuid():N}.eml");
        await File.WriteAllBytesAsync(file, Encoding.ASCII.GetBytes(wire));
        try
        {
            return await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{ingress.MxPort.ToString(CultureInfo.InvariantCulture)}",
                "--from", "sender@remote.test", "--to", "user@example.test", "--no-data-fixup", "--data", file]);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
