using System.Globalization;
using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Ingress.IntegrationTests.Infrastructure;

namespace EmailPipeline.Ingress.IntegrationTests;

/// <summary>
/// The body byte budget (Ingress:Limits:MaxBufferedBodyBytes) under a burst that would not fit: scaled down
/// from 45 sessions × 24 MiB against a 1 GiB pod to 12 × 2 MiB against an 8 MiB budget. Its own ingress process.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class MemoryBudgetTests
{
    private const int Sessions = 12;
    private const int BodyBytes = 2 * 1024 * 1024;
    private const long Budget = 8 * 1024 * 1024;

    // A body of 2 MiB plus its header lines takes 33 segments of 64 KiB: three fit in 8 MiB, a fourth does not.
    private const long HeldPerBody = 33 * 64 * 1024;
    private const int MostHeldAtOnce = 3;
    private const string Queued = "250 2.0.0 Ok: queued as ";

    private static string S(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static byte[] Body(string subject)
    {
        var text = new StringBuilder(BodyBytes + 200);
        text.Append("Subject: ").Append(subject).Append("\r\n\r\n");
        string line = new string('x', 78) + "\r\n";
        while (text.Length < BodyBytes)
        {
            text.Append(line);
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static async Task<long> ScrapeAsync(HttpClient http, string metric)
    {
        string page = await http.GetStringAsync("/metrics");
        foreach (string line in page.Split('\n'))
        {
            if (line.StartsWith(metric, StringComparison.Ordinal) && line.Length > metric.Length && line[metric.Length] is ' ' or '{')
            {
                return (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [Fact]
    public async Task An_oom_sized_burst_from_one_address_is_answered_250_or_4xx_never_a_crash()
    {
        await using Broker broker = await Broker.CreateVirtualHostAsync("budget");
        int[] ports = FreePorts.Take(2);
        await using var process = ServiceProcess.Start("Ingress", new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = broker.Url,
            ["Ingress__HostName"] = "mx.budget.test",
            ["Ingress__HttpUrl"] = $"http://127.0.0.1:{S(ports[1])}",
            ["Ingress__LocalDomains__0"] = "example.test",
            ["Ingress__Listeners__0__Name"] = "mx",
            ["Ingress__Listeners__0__Role"] = "Mx",
            ["Ingress__Listeners__0__Port"] = S(ports[0]),
            ["Ingress__Limits__MaxMessageSize"] = S(4 * 1024 * 1024),
            ["Ingress__Limits__MaxBufferedBodyBytes"] = S(Budget),
            ["Ingress__Limits__MaxSessionsPerClient"] = S(Sessions + 2),
        });
        await process.WaitHealthyAsync($"http://127.0.0.1:{S(ports[1])}/health/ready", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{S(ports[1])}"), Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(Budget, await ScrapeAsync(http, "emailpipeline_ingress_body_budget_limit_bytes"));

        // Every session sends its whole body but not the end of data: nothing can finish (and give its bytes back)
        // until all bodies are in, so the burst is certain to overrun the budget whatever the timing.
        var wires = new SmtpWire[Sessions];
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Sessions).Select(async i =>
            {
                SmtpWire wire = await SmtpWire.ConnectAsync(ports[0]);
                wires[i] = wire;
                Assert.StartsWith("250", await wire.CommandAsync("EHLO burst.test"), StringComparison.Ordinal);
                Assert.StartsWith("250", await wire.CommandAsync($"MAIL FROM:<burst{i}@remote.test>"), StringComparison.Ordinal);
                Assert.StartsWith("250", await wire.CommandAsync("RCPT TO:<user@example.test>"), StringComparison.Ordinal);
                Assert.StartsWith("354", await wire.CommandAsync("DATA"), StringComparison.Ordinal);
                await wire.SendAsync(Body($"burst {i}"));
            }));

            // Once every body is in, each session either holds all of its body or was refused (and gave back what it
            // held). The last refusal came with the budget full, so three hold their bodies and nine were refused.
            long refusals = 0;
            long used = 0;
            for (var deadline = DateTime.UtcNow.AddSeconds(60); (refusals, used) != (Sessions - MostHeldAtOnce, MostHeldAtOnce * HeldPerBody) && DateTime.UtcNow < deadline;)
            {
                await Task.Delay(100);
                refusals = await ScrapeAsync(http, "emailpipeline_ingress_body_budget_refusals_total");
                used = await ScrapeAsync(http, "emailpipeline_ingress_body_budget_used_bytes");
            }

            Assert.Equal((Sessions - MostHeldAtOnce, MostHeldAtOnce * HeldPerBody), (refusals, used));

            // Meanwhile a SIZE= that cannot fit is turned away at MAIL FROM; one that fits is not.
            await using (SmtpWire late = await SmtpWire.ConnectAsync(ports[0]))
            {
                Assert.StartsWith("250", await late.CommandAsync("EHLO late.test"), StringComparison.Ordinal);
                Assert.StartsWith("452 4.3.1 ", await late.CommandAsync("MAIL FROM:<late@remote.test> SIZE=" + S(4 * 1024 * 1024)), StringComparison.Ordinal);
                Assert.StartsWith("250", await late.CommandAsync("MAIL FROM:<late@remote.test> SIZE=" + S(1024 * 1024)), StringComparison.Ordinal);
                Assert.StartsWith("221", await late.CommandAsync("QUIT"), StringComparison.Ordinal);
            }

            string[] replies = await Task.WhenAll(wires.Select(async wire =>
            {
                await wire.SendAsync(".\r\n");
                return await wire.ReadReplyAsync(TimeSpan.FromSeconds(60));
            }));

            foreach (string reply in replies)
            {
                Assert.True(
                    reply.StartsWith(Queued, StringComparison.Ordinal) || reply.StartsWith("452 4.3.1 ", StringComparison.Ordinal),
                    $"unexpected reply '{reply}'");
            }

            string[] queuedIds = replies.Where(r => r.StartsWith(Queued, StringComparison.Ordinal)).Select(r => r[Queued.Length..]).ToArray();
            Assert.Equal(MostHeldAtOnce, queuedIds.Length);

            // The refused sessions stay in step, the process stays up, the budget is all given back.
            foreach (SmtpWire wire in wires)
            {
                Assert.StartsWith("250", await wire.CommandAsync("NOOP"), StringComparison.Ordinal);
            }

            Assert.False(process.HasExited, process.Output);
            for (var deadline = DateTime.UtcNow.AddSeconds(10); used > 0 && DateTime.UtcNow < deadline;)
            {
                await Task.Delay(100);
                used = await ScrapeAsync(http, "emailpipeline_ingress_body_budget_used_bytes");
            }

            Assert.Equal(0, used);

            // A refused client's retry: the same size, on the same connection, now accepted.
            SmtpWire retry = wires[Array.FindIndex(replies, r => r.StartsWith("452", StringComparison.Ordinal))];
            Assert.StartsWith("250", await retry.CommandAsync("MAIL FROM:<after@remote.test> SIZE=" + S(BodyBytes + 100)), StringComparison.Ordinal);
            Assert.StartsWith("250", await retry.CommandAsync("RCPT TO:<user@example.test>"), StringComparison.Ordinal);
            Assert.StartsWith("354", await retry.CommandAsync("DATA"), StringComparison.Ordinal);
            await retry.SendAsync(Body("after the burst"));
            string after = await retry.CommandAsync(".");
            Assert.StartsWith(Queued, after, StringComparison.Ordinal);

            // Every 250 was published whole, and nothing else was.
            List<QueuedMessage> queued = await broker.DrainAsync(PipelineQueues.Accepted, queuedIds.Length + 1, TimeSpan.FromSeconds(30));
            Assert.Equal(
                queuedIds.Append(after[Queued.Length..]).Order(StringComparer.Ordinal),
                queued.Select(m => m.QueueId).Order(StringComparer.Ordinal));
            Assert.All(queued, m => Assert.True(m.SplitReceived().Body.Length >= BodyBytes));
        }
        finally
        {
            foreach (SmtpWire? wire in wires)
            {
                if (wire is not null)
                {
                    await wire.DisposeAsync();
                }
            }
        }
    }
}
