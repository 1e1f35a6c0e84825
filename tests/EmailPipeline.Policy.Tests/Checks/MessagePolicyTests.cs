using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Policy.Checks;
using EmailPipeline.Policy.Tests.Support;
using EmailPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailPipeline.Policy.Tests.Checks;

public sealed class MessagePolicyTests
{
    private const string Client = "192.0.2.10";

    private static FakeDns Zone() => new FakeDns()
        .Txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
        .Txt("_dmarc.example.com", "v=DMARC1; p=reject")
        .Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048))
        .Txt("forwarder.example", "v=spf1 ip4:198.51.100.0/24 -all")
        .Txt("_dmarc.quarantined.example", "v=DMARC1; p=quarantine")
        .Txt("_dmarc.relaxed.example", "v=DMARC1; p=none");

    private static CheckMessage Check(byte[] content, string sender = "alice@example.com", string client = Client, string role = "mx", string? user = null) => new()
    {
        MessageId = "01TEST",
        Envelope = new Envelope(sender, [new EnvelopeRecipient("bob@example.test", DsnNotify.Default, null)], null, DsnReturn.Unspecified, BodyType.SevenBit, false, null),
        Session = new SessionFacts(client, 40000, "mail.example.com", role, role, null, null, user, user is null ? null : "PLAIN"),
        Content = content,
    };

    private static byte[] SignedMessage(string from = "alice@example.com")
    {
        MimeMessage message = TestKeys.Message(from);
        TestKeys.Sign(message, TestKeys.Rsa2048, "example.com", "sel");
        return TestKeys.Bytes(message);
    }

    private static byte[] Unsigned(string from) => TestKeys.Bytes(TestKeys.Message(from));

    [Fact]
    public async Task A_passing_message_is_accepted_with_authentication_results()
    {
        await using var host = new PolicyHost(Zone());

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(SignedMessage()), CancellationToken.None);

        Assert.Equal(PolicyAction.Accept, verdict.Action);
        Assert.False(verdict.Quarantine);
        Assert.Equal(PolicyHost.AuthServId, verdict.AuthServId);
        Assert.StartsWith("Authentication-Results: mx.pipeline.test;\r\n\tspf=pass", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.Contains("smtp.mailfrom=alice@example.com", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.Contains("dkim=pass (2048-bit key) header.d=example.com header.s=sel header.b=", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.Contains("dmarc=pass (p=reject dis=none) header.from=example.com policy.dmarc=reject", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.EndsWith("\tarc=none\r\n", verdict.HeadersToPrepend, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dmarc_reject_refuses_with_550_naming_the_policy()
    {
        await using var host = new PolicyHost(Zone());

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(Unsigned("ceo@example.com"), sender: "x@forwarder.example", client: "203.0.113.5"), CancellationToken.None);

        Assert.Equal((PolicyAction.Reject, 550, "5.7.1"), (verdict.Action, verdict.ReplyCode, verdict.EnhancedStatus));
        Assert.Contains("DMARC policy of example.com", verdict.ReplyText, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', verdict.ReplyText);
    }

    [Fact]
    public async Task Dmarc_quarantine_accepts_flagged_with_a_header()
    {
        await using var host = new PolicyHost(Zone());

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(Unsigned("a@quarantined.example")), CancellationToken.None);

        Assert.Equal(PolicyAction.Accept, verdict.Action);
        Assert.True(verdict.Quarantine);
        Assert.Contains("dmarc=fail", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.Contains("\r\nX-EmailPipeline-Quarantine: DMARC policy of quarantined.example (p=quarantine)\r\n", verdict.HeadersToPrepend, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dmarc_none_accepts()
    {
        await using var host = new PolicyHost(Zone());

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(Unsigned("a@relaxed.example")), CancellationToken.None);

        Assert.Equal(PolicyAction.Accept, verdict.Action);
        Assert.False(verdict.Quarantine);
        Assert.Contains("dmarc=fail (p=none dis=none", verdict.HeadersToPrepend, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_from_header_is_refused()
    {
        await using var host = new PolicyHost(Zone());
        byte[] content = Encoding.ASCII.GetBytes("To: bob@example.test\r\nSubject: x\r\n\r\nbody\r\n");

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(content), CancellationToken.None);

        Assert.Equal((PolicyAction.Reject, 550, "5.7.1"), (verdict.Action, verdict.ReplyCode, verdict.EnhancedStatus));
        Assert.Contains("0 From: headers", verdict.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_on_a_block_list_gets_554_naming_the_list()
    {
        FakeDns dns = Zone().A("10.2.0.192.bl.example", "127.0.0.2");
        await using var host = new PolicyHost(dns, new Dictionary<string, string?>
        {
            ["Policy:DnsLists:Zones:0:Zone"] = "bl.example",
            ["Policy:DnsLists:Zones:0:Codes:127.0.0.2"] = "known spam source",
        });

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(SignedMessage()), CancellationToken.None);

        Assert.Equal((PolicyAction.Reject, 554, "5.7.1"), (verdict.Action, verdict.ReplyCode, verdict.EnhancedStatus));
        Assert.Equal("Client host [192.0.2.10] blocked using bl.example (known spam source)", verdict.ReplyText);
    }

    [Theory]
    [InlineData("Defer", PolicyAction.TempFail)]
    [InlineData("Accept", PolicyAction.Accept)]
    public async Task A_dns_failure_defers_or_accepts_as_configured(string setting, PolicyAction expected)
    {
        FakeDns dns = new FakeDns().Fail("example.com").Fail("_dmarc.example.com").Fail("sel._domainkey.example.com");
        await using var host = new PolicyHost(dns, new Dictionary<string, string?> { ["Policy:TempErrors"] = setting });

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(SignedMessage()), CancellationToken.None);

        Assert.Equal(expected, verdict.Action);
        if (expected == PolicyAction.TempFail)
        {
            Assert.Equal((451, "4.7.0"), (verdict.ReplyCode, verdict.EnhancedStatus));
        }
        else
        {
            Assert.Contains("spf=temperror", verdict.HeadersToPrepend, StringComparison.Ordinal);
            Assert.Contains("dkim=temperror", verdict.HeadersToPrepend, StringComparison.Ordinal);
            Assert.Contains("dmarc=temperror", verdict.HeadersToPrepend, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_null_sender_is_checked_by_helo()
    {
        FakeDns dns = Zone().Txt("mail.example.com", "v=spf1 ip4:192.0.2.10 -all");
        await using var host = new PolicyHost(dns);

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(Unsigned("alice@example.com"), sender: ""), CancellationToken.None);

        Assert.Equal(PolicyAction.Accept, verdict.Action);
        Assert.Contains("spf=pass (matched ip4:192.0.2.10) smtp.helo=mail.example.com", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.Contains("dmarc=pass", verdict.HeadersToPrepend, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authenticated_submission_goes_to_the_outbound_policy()
    {
        var outbound = new RecordingOutbound(new PolicyVerdict(PolicyAction.TempFail, 451, "4.7.1", "Sending limit reached", "", false));
        await using var host = new PolicyHost(Zone(), services: s => s.AddSingleton<IOutboundPolicy>(outbound));

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(Unsigned("a@elsewhere.example"), role: "submission", user: "alice"), CancellationToken.None);

        Assert.Equal("01TEST", Assert.Single(outbound.Seen).MessageId);
        Assert.Equal((PolicyAction.TempFail, 451, "4.7.1"), (verdict.Action, verdict.ReplyCode, verdict.EnhancedStatus));
        Assert.Equal(PolicyHost.AuthServId, verdict.AuthServId);
    }

    [Fact]
    public async Task Without_an_outbound_policy_submission_mail_is_accepted_untouched()
    {
        await using var host = new PolicyHost(Zone());

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(Unsigned("ceo@example.com"), client: "203.0.113.5", role: "submission", user: "alice"), CancellationToken.None);

        Assert.Equal(PolicyAction.Accept, verdict.Action);
        Assert.Equal("", verdict.HeadersToPrepend);
        Assert.IsType<NoOutboundPolicy>(host.Get<IOutboundPolicy>());
    }

    private sealed class RecordingOutbound(PolicyVerdict verdict) : IOutboundPolicy
    {
        public List<CheckMessage> Seen { get; } = [];

        public Task<PolicyVerdict?> DecideAsync(CheckMessage message, CancellationToken ct)
        {
            Seen.Add(message);
            return Task.FromResult<PolicyVerdict?>(verdict);
        }
    }
}
