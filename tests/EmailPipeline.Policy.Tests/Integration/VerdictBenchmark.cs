using System.Diagnostics;
using EmailPipeline.Contracts;
using EmailPipeline.Policy.Tests.Support;
using EmailPipeline.Testing;
using MimeKit;

namespace EmailPipeline.Policy.Tests.Integration;

/// <summary>
/// Verdicts per second for one Policy instance: a typical DKIM-signed (rsa 2048) message with SPF and DMARC, the DNS
/// cache warm (DnsClient against a loopback server behind the service's cache). Explicit: it measures, it does not
/// gate. Run it with
/// <c>tests/EmailPipeline.Policy.Tests/bin/Release/net10.0/EmailPipeline.Policy.Tests -method "*VerdictBenchmark*" -explicit only</c>.
/// </summary>
public sealed class VerdictBenchmark(ITestOutputHelper output)
{
    [Fact(Explicit = true)]
    public async Task Verdicts_per_second_with_a_warm_dns_cache()
    {
        using DnsZoneServer dns = new DnsZoneServer()
            .Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048))
            .Txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
            .Txt("_dmarc.example.com", "v=DMARC1; p=reject");
        await using var host = new PolicyHost(null, new Dictionary<string, string?> { ["Policy:Dns:NameServers:0"] = dns.Address });
        MimeMessage message = TestKeys.Message();
        message.Body = new TextPart("plain") { Text = string.Concat(Enumerable.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", 60)) };
        TestKeys.Sign(message, TestKeys.Rsa2048, "example.com", "sel");
        var check = new CheckMessage
        {
            MessageId = "01BENCH",
            Envelope = new Envelope("alice@example.com", [new EnvelopeRecipient("bob@example.test", DsnNotify.Default, null)], null, DsnReturn.Unspecified, BodyType.SevenBit, false, null),
            Session = new SessionFacts("192.0.2.10", 1, "mail.example.com", "mx", "mx", null, null, null, null),
            Content = TestKeys.Bytes(message),
        };
        for (int i = 0; i < 200; i++)
        {
            await host.Policy.DecideAsync(check, CancellationToken.None);
        }

        foreach (int concurrency in new[] { 1, 8 })
        {
            const int Count = 3000;
            var clock = Stopwatch.StartNew();
            await Parallel.ForAsync(0, Count, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (_, ct) =>
                Assert.Equal(PolicyAction.Accept, (await host.Policy.DecideAsync(check, ct)).Action));
            output.WriteLine($"{concurrency} concurrent: {Count / clock.Elapsed.TotalSeconds:F0} verdicts/s ({check.Content.Length} octets)");
        }
    }
}
