using System.Globalization;
using System.Net.Sockets;
using EmailPipeline.Contracts;
using EmailPipeline.Ingress.IntegrationTests.Infrastructure;

namespace EmailPipeline.Ingress.IntegrationTests;

/// <summary>
/// The one promise under failure: 250 only when the broker has the message; a broker outage gives 451
/// and nothing half-accepted; a shutdown lets running transactions finish and closes the rest with 421.
/// Each test runs its own ingress process (these tests stop the broker or the service).
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class DurabilityTests
{
    private static string S(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static async Task<(ServiceProcess Process, int SmtpPort, int HttpPort)> StartIngressAsync(Broker broker, string drainTimeout = "00:00:30")
    {
        int[] ports = FreePorts.Take(2);
        var process = ServiceProcess.Start("Ingress", new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = broker.Url,
            ["Ingress__HostName"] = "mx.durability.test",
            ["Ingress__HttpUrl"] = $"http://127.0.0.1:{S(ports[1])}",
            ["Ingress__LocalDomains__0"] = "example.test",
            ["Ingress__Listeners__0__Name"] = "mx",
            ["Ingress__Listeners__0__Role"] = "Mx",
            ["Ingress__Listeners__0__Port"] = S(ports[0]),
            ["Ingress__PublishTimeout"] = "00:00:05",
            ["Ingress__DrainTimeout"] = drainTimeout,
        });
        await process.WaitHealthyAsync($"http://127.0.0.1:{S(ports[1])}/health/ready", TimeSpan.FromSeconds(60));
        return (process, ports[0], ports[1]);
    }

    private static async Task<string> SendAsync(int port, string subject)
    {
        await using var wire = await SmtpWire.ConnectAsync(port);
        await wire.CommandAsync("EHLO durability.client.test");
        Assert.StartsWith("250", await wire.CommandAsync("MAIL FROM:<a@remote.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await wire.CommandAsync("RCPT TO:<user@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
        return await wire.CommandAsync($"Subject: {subject}\r\n\r\nbody\r\n.");
    }

    [Fact]
    public async Task Broker_outage_gives_451_and_the_retry_after_recovery_is_queued_exactly_once()
    {
        await using Broker broker = await Broker.CreateVirtualHostAsync("outage");
        var (process, port, http) = await StartIngressAsync(broker);
        await using (process)
        {
            Assert.StartsWith("250 2.0.0 Ok: queued as", await SendAsync(port, "before"), StringComparison.Ordinal);

            await Broker.Rabbitmqctl("stop_app");
            string during;
            try
            {
                during = await SendAsync(port, "the retried one");
            }
            finally
            {
                await Broker.Rabbitmqctl("start_app");
                await Broker.Rabbitmqctl("await_startup");
            }

            Assert.StartsWith("451 4.3.0", during, StringComparison.Ordinal);

            // The client's retry once the broker is back (the ingress reconnects by itself).
            await process.WaitHealthyAsync($"http://127.0.0.1:{S(http)}/health/ready", TimeSpan.FromSeconds(60));
            string after = "";
            for (int attempt = 0; attempt < 30 && !after.StartsWith("250", StringComparison.Ordinal); attempt++)
            {
                after = await SendAsync(port, "the retried one");
                if (!after.StartsWith("250", StringComparison.Ordinal))
                {
                    Assert.StartsWith("451 4.3.0", after, StringComparison.Ordinal);
                    await Task.Delay(1000);
                }
            }

            Assert.StartsWith("250 2.0.0 Ok: queued as", after, StringComparison.Ordinal);
            List<QueuedMessage> queued = await broker.DrainAsync(PipelineQueues.Accepted, 2, TimeSpan.FromSeconds(15));
            Assert.Equal(2, queued.Count);
            Assert.Single(queued, m => System.Text.Encoding.ASCII.GetString(m.Content).Contains("Subject: the retried one", StringComparison.Ordinal));
            Assert.Contains(after[("250 2.0.0 Ok: queued as ".Length)..], queued.Select(m => m.QueueId));
        }
    }

    [Fact]
    public async Task Shutdown_lets_a_running_transaction_finish_and_closes_idle_sessions_with_421()
    {
        await using Broker broker = await Broker.CreateVirtualHostAsync("drain");
        var (process, port, _) = await StartIngressAsync(broker, drainTimeout: "00:00:04");
        await using (process)
        {
            await using var busy = await SmtpWire.ConnectAsync(port);
            await busy.CommandAsync("EHLO busy.test");
            Assert.StartsWith("250", await busy.CommandAsync("MAIL FROM:<a@remote.test>"), StringComparison.Ordinal);
            Assert.StartsWith("250", await busy.CommandAsync("RCPT TO:<user@example.test>"), StringComparison.Ordinal);
            await using var idle = await SmtpWire.ConnectAsync(port);
            await idle.CommandAsync("EHLO idle.test");

            process.Terminate();
            await Task.Delay(500);

            // A new client during the drain is turned away: 421, or refused outright.
            try
            {
                await using var late = await SmtpWire.ConnectAsync(port, readGreeting: false);
                Assert.StartsWith("421 4.3.2", await late.ReadReplyAsync(TimeSpan.FromSeconds(5)), StringComparison.Ordinal);
            }
            catch (SocketException)
            {
            }

            Assert.StartsWith("354", await busy.CommandAsync("DATA"), StringComparison.Ordinal);
            Assert.StartsWith("250 2.0.0 Ok: queued as", await busy.CommandAsync("Subject: finished during drain\r\n\r\nok\r\n."), StringComparison.Ordinal);

            Assert.StartsWith("421 4.3.2", await idle.ReadReplyAsync(TimeSpan.FromSeconds(15)), StringComparison.Ordinal);
            Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(30)), process.Output);
            Assert.Equal(0, process.ExitCode);
            Assert.Single(await broker.DrainAsync(PipelineQueues.Accepted, 1, TimeSpan.FromSeconds(10)));
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedCollection
{
    public const string Name = "isolated";
}
