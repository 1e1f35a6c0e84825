using EmailPipeline.Contracts;
using EmailPipeline.Policy.Arc;
using EmailPipeline.Policy.Checks;
using EmailPipeline.Policy.Tests.Support;
using EmailPipeline.Testing;
using MimeKit;

namespace EmailPipeline.Policy.Tests.Checks;

/// <summary>
/// A mailing list changes the Subject (breaking the author's DKIM signature) and forwards from its own address, so
/// DMARC fails; it ARC-sealed the message after checking the original signature.
/// </summary>
public sealed class ArcOverrideTests
{
    private static FakeDns Zone() => new FakeDns()
        .Txt("_dmarc.example.com", "v=DMARC1; p=reject")
        .Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048))
        .Txt("list.example.org", "v=spf1 ip4:198.51.100.0/24 -all")
        .Txt("arc._domainkey.list.example.org", TestKeys.Record(TestKeys.Rsa2048));

    private static byte[] Forwarded(bool tamperAfterSealing = false)
    {
        MimeMessage message = TestKeys.Message("ceo@example.com", "Quarterly numbers");
        TestKeys.Sign(message, TestKeys.Rsa2048, "example.com", "sel");
        message.Subject = "[list] Quarterly numbers";
        var sealer = new TestArcSigner(TestKeys.Rsa2048.Private, "list.example.org", "arc",
            "list.example.org; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com");
        sealer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
        if (tamperAfterSealing)
        {
            message.Subject = "[list] Changed again";
        }

        return TestKeys.Bytes(message);
    }

    private static CheckMessage Check(byte[] content) => new()
    {
        MessageId = "01ARC",
        Envelope = new Envelope("bounces@list.example.org", [new EnvelopeRecipient("bob@example.test", DsnNotify.Default, null)], null, DsnReturn.Unspecified, BodyType.SevenBit, false, null),
        Session = new SessionFacts("198.51.100.7", 40000, "mx.list.example.org", "mx", "mx", null, null, null, null),
        Content = content,
    };

    [Fact]
    public async Task A_passing_chain_is_reported_but_not_obeyed_by_default()
    {
        await using var host = new PolicyHost(Zone());

        InboundReport report = await host.Inbound.CheckAsync("198.51.100.7", "mx.list.example.org", "bounces@list.example.org", Forwarded(), CancellationToken.None);
        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(Forwarded()), CancellationToken.None);

        Assert.Equal(new ArcOutcome(ArcResult.Pass, 1, "list.example.org"), report.Arc);
        Assert.Equal(PolicyAction.Reject, verdict.Action);
    }

    [Fact]
    public async Task A_trusted_sealer_overrides_the_dmarc_fail_and_says_so()
    {
        await using var host = new PolicyHost(Zone(), new Dictionary<string, string?> { ["Policy:Arc:TrustedSealers:0"] = "List.Example.Org" });

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(Forwarded()), CancellationToken.None);

        Assert.Equal(PolicyAction.Accept, verdict.Action);
        Assert.Contains("dmarc=fail (p=reject dis=none; arc override by list.example.org;", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.Contains("policy.arc-override=list.example.org", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.Contains("arc=pass (i=1 sealer list.example.org)", verdict.HeadersToPrepend, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_chain_overrides_nothing()
    {
        await using var host = new PolicyHost(Zone(), new Dictionary<string, string?> { ["Policy:Arc:TrustedSealers:0"] = "list.example.org" });

        PolicyVerdict verdict = await host.Policy.DecideAsync(Check(Forwarded(tamperAfterSealing: true)), CancellationToken.None);

        Assert.Equal(PolicyAction.Reject, verdict.Action);
    }
}
