using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Policy.Checks;
using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Tests.Support;
using EmailPipeline.Testing;
using MimeKit;

namespace EmailPipeline.Policy.Tests.Integration;

/// <summary>
/// The real DNS path: the service's DnsClient resolver and cache against a DNS server on loopback serving the keys and
/// policies, with messages signed by MimeKit and by OpenDKIM.
/// </summary>
public sealed class LoopbackDnsTests : IDisposable
{
    private const string Plain =
        "From: Alice <alice@odk.example>\r\nTo: bob@example.test\r\nSubject: Signed by OpenDKIM\r\n" +
        "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <odk-1@odk.example>\r\n\r\nHello from OpenDKIM.\r\n\r\nSecond paragraph.\r\n";

    private readonly DnsZoneServer _dns = new DnsZoneServer()
        .Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048))
        .Txt("ed._domainkey.example.com", TestKeys.Record(TestKeys.Ed25519))
        .Txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
        .Txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com")
        .Txt("_dmarc.odk.example", "v=DMARC1; p=reject")
        .A("66.113.0.203.bl.example", "127.0.0.2")
        .Silent("_dmarc.slow.example");

    private PolicyHost Host(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Policy:Dns:NameServers:0"] = _dns.Address,
            ["Policy:Dns:Timeout"] = "00:00:00.500",
            ["Policy:Dns:Retries"] = "0",
        };
        foreach (var (k, v) in extra)
        {
            settings[k] = v;
        }

        return new PolicyHost(null, settings);
    }

    public void Dispose() => _dns.Dispose();

    private static CheckMessage Check(byte[] content, string client = "192.0.2.10", string sender = "alice@example.com") => new()
    {
        MessageId = "01LOOP",
        Envelope = new Envelope(sender, [new EnvelopeRecipient("bob@example.test", DsnNotify.Default, null)], null, DsnReturn.Unspecified, BodyType.SevenBit, false, null),
        Session = new SessionFacts(client, 40000, "mail.example.com", "mx", "mx", null, null, null, null),
        Content = content,
    };

    private async Task<IReadOnlyList<DkimSignatureOutcome>> VerifyAsync(byte[] content)
    {
        await using PolicyHost host = Host();
        return await host.Get<DkimChecker>().VerifyAsync(TestKeys.Parse(content), content, CancellationToken.None);
    }

    [Fact]
    public async Task MimeKit_rsa_2048_and_ed25519_signatures_pass_over_real_dns()
    {
        MimeMessage message = TestKeys.Message();
        TestKeys.Sign(message, TestKeys.Rsa2048, "example.com", "sel");
        TestKeys.Sign(message, TestKeys.Ed25519, "example.com", "ed");

        IReadOnlyList<DkimSignatureOutcome> outcomes = await VerifyAsync(TestKeys.Bytes(message));

        Assert.Equal([("ed25519-sha256", DkimResult.Pass), ("rsa-sha256", DkimResult.Pass)], outcomes.Select(o => (o.Algorithm!, o.Result)).ToArray());
    }

    [Fact]
    public async Task A_tampered_body_fails_over_real_dns()
    {
        MimeMessage message = TestKeys.Message();
        TestKeys.Sign(message, TestKeys.Rsa2048, "example.com", "sel");
        byte[] tampered = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(TestKeys.Bytes(message)).Replace("test message", "fake message", StringComparison.Ordinal));

        Assert.Equal(DkimResult.Fail, Assert.Single(await VerifyAsync(tampered)).Result);
    }

    [Fact]
    public async Task OpenDkim_rsa_sha256_signature_passes_and_tampering_fails()
    {
        Assert.SkipUnless(OpenDkim.Installed, "opendkim and opendkim-tools are not installed (scripts/setup-machine.sh installs them)");
        using OpenDkim opendkim = await OpenDkim.GenerateAsync("odk.example", "real");
        _dns.Txt("real._domainkey.odk.example", opendkim.Record);
        byte[] signed = await opendkim.SignSha256Async(Plain);
        byte[] tamperedHeader = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(signed).Replace("Subject: Signed", "Subject: Forged", StringComparison.Ordinal));
        byte[] tamperedBody = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(signed).Replace("Second paragraph", "Second forgery", StringComparison.Ordinal));

        DkimSignatureOutcome good = Assert.Single(await VerifyAsync(signed));

        Assert.Equal((DkimResult.Pass, "odk.example", "real", "rsa-sha256", 2048), (good.Result, good.Domain, good.Selector, good.Algorithm, good.KeyBits));
        Assert.Equal(DkimResult.Fail, Assert.Single(await VerifyAsync(tamperedHeader)).Result);
        Assert.Equal(DkimResult.Fail, Assert.Single(await VerifyAsync(tamperedBody)).Result);
    }

    [Fact]
    public async Task OpenDkim_signed_mail_passes_dmarc_and_gets_our_authentication_results()
    {
        Assert.SkipUnless(OpenDkim.Installed, "opendkim and opendkim-tools are not installed (scripts/setup-machine.sh installs them)");
        using OpenDkim opendkim = await OpenDkim.GenerateAsync("odk.example", "real");
        _dns.Txt("real._domainkey.odk.example", opendkim.Record);
        await using PolicyHost host = Host();

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(await opendkim.SignSha256Async(Plain), sender: "bounce@elsewhere.example"), CancellationToken.None);

        Assert.Equal(PolicyAction.Accept, verdict.Action);
        Assert.Contains("dkim=pass (2048-bit key) header.d=odk.example header.s=real", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.Contains("dmarc=pass (p=reject dis=none) header.from=odk.example", verdict.HeadersToPrepend, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenDkim_testmsg_rsa_sha1_signature_never_passes()
    {
        Assert.SkipUnless(OpenDkim.Installed, "opendkim and opendkim-tools are not installed (scripts/setup-machine.sh installs them)");
        using OpenDkim opendkim = await OpenDkim.GenerateAsync("odk.example", "sha1");
        // opendkim-genkey writes h=sha256; publish the key without it so only the algorithm decides.
        _dns.Txt("sha1._domainkey.odk.example", opendkim.Record.Replace("h=sha256; ", "", StringComparison.Ordinal));

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(await opendkim.SignSha1Async(Plain)));

        Assert.Equal(("rsa-sha1", DkimResult.Fail), (outcome.Algorithm, outcome.Result));
    }

    [Fact]
    public async Task Dmarc_reject_over_real_dns_gives_550()
    {
        await using PolicyHost host = Host();

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(TestKeys.Bytes(TestKeys.Message()), client: "203.0.113.5"), CancellationToken.None);

        Assert.Equal((PolicyAction.Reject, 550, "5.7.1"), (verdict.Action, verdict.ReplyCode, verdict.EnhancedStatus));
    }

    [Fact]
    public async Task A_listed_client_over_real_dns_gives_554()
    {
        await using PolicyHost host = Host(("Policy:DnsLists:Zones:0:Zone", "bl.example"));

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(TestKeys.Bytes(TestKeys.Message()), client: "203.0.113.66"), CancellationToken.None);

        Assert.Equal((PolicyAction.Reject, 554, "5.7.1"), (verdict.Action, verdict.ReplyCode, verdict.EnhancedStatus));
        Assert.Contains("bl.example", verdict.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dns_timeout_is_a_temperror_that_defers()
    {
        await using PolicyHost host = Host();
        byte[] content = TestKeys.Bytes(TestKeys.Message("a@slow.example"));

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(content, sender: "a@slow.example"), CancellationToken.None);

        Assert.Equal((PolicyAction.TempFail, 451, "4.7.0"), (verdict.Action, verdict.ReplyCode, verdict.EnhancedStatus));
    }
}
