using System.Globalization;
using System.Text;
using EmailPipeline.EndToEnd.Tests.Support;
using MimeKit;

namespace EmailPipeline.EndToEnd.Tests;

/// <summary>
/// A pipeline whose ingress asks a real Policy process, which resolves against a DNS server on loopback: SPF, DKIM
/// keys, DMARC policies and a block list for 127.0.0.2.
/// </summary>
public sealed class PolicyPipelineFixture : IAsyncLifetime
{
    public DnsZoneServer Dns { get; } = new DnsZoneServer()
        .Txt("signed.test", "v=spf1 ip4:127.0.0.0/8 -all")
        .Txt("sel._domainkey.signed.test", TestKeys.Record(TestKeys.Rsa2048))
        .Txt("_dmarc.signed.test", "v=DMARC1; p=reject")
        .A("2.0.0.127.bl.test", "127.0.0.2");

    public Pipeline Pipeline { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Pipeline = await Pipeline.StartAsync(
            ingress: new Dictionary<string, string> { ["Ingress__Policy__Timeout"] = "00:00:08" },
            policy: new Dictionary<string, string>
            {
                ["Policy__Dns__NameServers__0"] = Dns.Address,
                ["Policy__DnsLists__Zones__0__Zone"] = "bl.test",
                ["Policy__DnsLists__Zones__0__Codes__127.0.0.2"] = "test listing",
            });
    }

    public async ValueTask DisposeAsync()
    {
        if (Pipeline is not null)
        {
            await Pipeline.DisposeAsync();
        }

        Dns.Dispose();
    }
}

/// <summary>swaks → ingress (Policy:Mode=On) → Policy → verdict inside the SMTP session → queue → Maildir.</summary>
public sealed class PolicyTests(PolicyPipelineFixture fixture) : IClassFixture<PolicyPipelineFixture>
{
    private Pipeline Pipeline => fixture.Pipeline;

    private async Task<ExternalTool.Result> SwaksAsync(string from, string to, string message, string localAddress = "127.0.0.1")
    {
        string file = Path.Combine(Pipeline.DataDirectory, Guid.NewGuid().ToString("N") + ".eml");
        // --no-data-fixup sends the file as it is: it must end the DATA itself.
        await File.WriteAllTextAsync(file, message + ".\r\n");
        return await ExternalTool.RunAsync("swaks", [
            "--server", $"127.0.0.1:{Pipeline.SmtpPort.ToString(CultureInfo.InvariantCulture)}", "--local-interface", localAddress,
            "--helo", "client.signed.test", "--from", from, "--to", to, "--no-data-fixup", "--data", file]);
    }

    private static string Signed(string subject)
    {
        MimeMessage message = TestKeys.Message("alice@signed.test", subject);
        message.Headers.Add("Authentication-Results", "mx.pipeline.test; dmarc=pass header.from=signed.test");
        message.Headers.Add("Authentication-Results", "relay.elsewhere.test; spf=pass");
        TestKeys.Sign(message, TestKeys.Rsa2048, "signed.test", "sel");
        return Encoding.ASCII.GetString(TestKeys.Bytes(message));
    }

    [Fact]
    public async Task A_signed_message_that_passes_arrives_with_our_authentication_results_on_top()
    {
        string to = $"pass-{Guid.NewGuid():N}@example.test";

        ExternalTool.Result swaks = await SwaksAsync("alice@signed.test", to, Signed("passes"));

        Assert.True(swaks.ExitCode == 0, swaks.All + Pipeline.Output);
        string[] files = await Maildir.WaitAsync(Pipeline.MaildirRoot, to, TimeSpan.FromSeconds(30));
        Assert.True(files.Length == 1, Pipeline.Output);
        string delivered = Encoding.ASCII.GetString(await File.ReadAllBytesAsync(files[0]));
        // Maildir delivery adds Return-Path and Delivered-To; below them our Authentication-Results comes first, above Received.
        string[] headers = delivered[..delivered.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        Assert.Equal(["Return-Path", "Delivered-To", "Authentication-Results"], headers.Where(h => !h.StartsWith('\t')).Take(3).Select(h => h[..h.IndexOf(':', StringComparison.Ordinal)]));
        Assert.Contains("\r\nAuthentication-Results: mx.pipeline.test;\r\n\tspf=pass (matched ip4:127.0.0.0/8) smtp.mailfrom=alice@signed.test", delivered, StringComparison.Ordinal);
        Assert.True(delivered.IndexOf("Authentication-Results: mx.pipeline.test;", StringComparison.Ordinal) < delivered.IndexOf("Received: ", StringComparison.Ordinal));
        Assert.Contains("dkim=pass (2048-bit key) header.d=signed.test header.s=sel", delivered, StringComparison.Ordinal);
        Assert.Contains("dmarc=pass (p=reject dis=none) header.from=signed.test policy.dmarc=reject", delivered, StringComparison.Ordinal);
        // The forged field claiming our authserv-id is gone; another server's stays.
        Assert.DoesNotContain("mx.pipeline.test; dmarc=pass", delivered, StringComparison.Ordinal);
        Assert.Contains("Authentication-Results: relay.elsewhere.test; spf=pass", delivered, StringComparison.Ordinal);
        Assert.Single(delivered.Split("\r\n"), l => l.StartsWith("Authentication-Results: mx.pipeline.test", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_failing_dmarc_p_reject_gets_550_in_the_session()
    {
        string to = $"reject-{Guid.NewGuid():N}@example.test";
        string forged = Encoding.ASCII.GetString(TestKeys.Bytes(TestKeys.Message("ceo@signed.test", "wire the money")));

        ExternalTool.Result swaks = await SwaksAsync("x@unrelated.test", to, forged);

        Assert.NotEqual(0, swaks.ExitCode);
        Assert.Contains("550 5.7.1 Message refused by the DMARC policy of signed.test", swaks.All, StringComparison.Ordinal);
        Assert.Empty(Maildir.Files(Pipeline.MaildirRoot, to));
    }

    [Fact]
    public async Task A_client_on_the_block_list_gets_554_naming_the_list()
    {
        string to = $"listed-{Guid.NewGuid():N}@example.test";

        ExternalTool.Result swaks = await SwaksAsync("alice@signed.test", to, Signed("listed"), localAddress: "127.0.0.2");

        Assert.NotEqual(0, swaks.ExitCode);
        Assert.Contains("554 5.7.1 Client host [127.0.0.2] blocked using bl.test (test listing)", swaks.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_policy_down_the_ingress_fails_closed_with_451()
    {
        string to = $"outage-{Guid.NewGuid():N}@example.test";
        await Pipeline.KillAsync(Pipeline.Policy!);
        try
        {
            ExternalTool.Result swaks = await SwaksAsync("alice@signed.test", to, Signed("outage"));

            Assert.NotEqual(0, swaks.ExitCode);
            Assert.Contains("451 4.7.0", swaks.All, StringComparison.Ordinal);
            Assert.Empty(Maildir.Files(Pipeline.MaildirRoot, to));
        }
        finally
        {
            await Pipeline.StartPolicyAsync();
        }
    }
}
