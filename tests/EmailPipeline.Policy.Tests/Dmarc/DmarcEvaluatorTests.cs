using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Dmarc;
using EmailPipeline.Policy.Spf;
using EmailPipeline.Policy.Tests.Support;

namespace EmailPipeline.Policy.Tests.Dmarc;

public sealed class DmarcEvaluatorTests
{
    private static FakeDns Zone() => new FakeDns()
        .Txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@example.com")
        .Txt("_dmarc.strict.example", "v=DMARC1; p=reject; adkim=s; aspf=s")
        .Txt("_dmarc.example.co.uk", "v=DMARC1; p=quarantine")
        .Txt("_dmarc.sampled.example", "v=DMARC1; p=reject; pct=0")
        .Txt("_dmarc.halfsampled.example", "v=DMARC1; p=quarantine; pct=0")
        .Txt("_dmarc.own.example.com", "v=DMARC1; p=none")
        .Txt("_dmarc.two.example", "v=DMARC1; p=reject")
        .Txt("_dmarc.two.example", "v=DMARC1; p=none")
        .Txt("_dmarc.twice.example.com", "v=DMARC1; p=none")
        .Txt("_dmarc.twice.example.com", "v=DMARC1; p=none; rua=mailto:x@example.com")
        .Txt("_dmarc.notdmarc.example", "v=spf1 -all")
        .Fail("_dmarc.broken.example");

    private static DkimSignatureOutcome Dkim(string domain, DkimResult result = DkimResult.Pass) => new(result, domain, "sel", "rsa-sha256", "abcdefgh");

    private static async Task<DmarcOutcome> EvaluateAsync(string from, SpfResult spf, string? spfDomain, params DkimSignatureOutcome[] dkim)
    {
        await using var host = new PolicyHost(Zone());
        return await host.Get<DmarcEvaluator>().EvaluateAsync(new DmarcInput([from], spf, spfDomain, dkim), CancellationToken.None);
    }

    public static TheoryData<string, SpfResult, string?, string?, DmarcResult, DmarcPolicy> Cases => new()
    {
        // from, spf, spf domain, passing dkim d=, result, disposition
        { "a@example.com", SpfResult.Pass, "example.com", null, DmarcResult.Pass, DmarcPolicy.None },
        { "a@example.com", SpfResult.Pass, "bounces.example.com", null, DmarcResult.Pass, DmarcPolicy.None }, // relaxed SPF
        { "a@example.com", SpfResult.Fail, "example.com", "mail.example.com", DmarcResult.Pass, DmarcPolicy.None }, // relaxed DKIM
        { "a@example.com", SpfResult.Pass, "example.net", "example.org", DmarcResult.Fail, DmarcPolicy.Reject }, // nothing aligned
        { "a@example.com", SpfResult.SoftFail, "example.com", null, DmarcResult.Fail, DmarcPolicy.Reject },
        { "a@strict.example", SpfResult.Pass, "bounce.strict.example", null, DmarcResult.Fail, DmarcPolicy.Reject }, // aspf=s
        { "a@strict.example", SpfResult.None, null, "mail.strict.example", DmarcResult.Fail, DmarcPolicy.Reject }, // adkim=s
        { "a@strict.example", SpfResult.Pass, "strict.example", null, DmarcResult.Pass, DmarcPolicy.None },
        { "a@news.example.com", SpfResult.Fail, "example.net", null, DmarcResult.Fail, DmarcPolicy.Quarantine }, // sp= at the org domain
        { "a@own.example.com", SpfResult.Fail, "example.net", null, DmarcResult.Fail, DmarcPolicy.None }, // own record wins over sp=
        { "a@mail.example.co.uk", SpfResult.Fail, "example.net", null, DmarcResult.Fail, DmarcPolicy.Quarantine }, // org domain under co.uk
        { "a@mail.example.co.uk", SpfResult.Pass, "other.example.co.uk", null, DmarcResult.Pass, DmarcPolicy.None },
        { "a@example.co.uk", SpfResult.Pass, "another.co.uk", null, DmarcResult.Fail, DmarcPolicy.Quarantine }, // co.uk is a suffix
        { "a@sampled.example", SpfResult.Fail, "x.example", null, DmarcResult.Fail, DmarcPolicy.Quarantine }, // pct=0: reject → quarantine
        { "a@halfsampled.example", SpfResult.Fail, "x.example", null, DmarcResult.Fail, DmarcPolicy.None }, // pct=0: quarantine → none
        { "a@nodmarc.example", SpfResult.Fail, "x.example", null, DmarcResult.None, DmarcPolicy.None },
        { "a@two.example", SpfResult.Fail, "x.example", null, DmarcResult.None, DmarcPolicy.None }, // two records: none applies
        // RFC 7489 §6.6.3: two records at the From: domain end discovery; the organizational domain's sp=quarantine is not applied.
        { "a@twice.example.com", SpfResult.Fail, "x.example", null, DmarcResult.None, DmarcPolicy.None },
        { "a@notdmarc.example", SpfResult.Fail, "x.example", null, DmarcResult.None, DmarcPolicy.None },
        { "a@broken.example", SpfResult.Fail, "x.example", null, DmarcResult.TempError, DmarcPolicy.None },
        { "a@example.com", SpfResult.TempError, "example.com", null, DmarcResult.TempError, DmarcPolicy.None }, // could have passed
        { "a@example.com", SpfResult.TempError, "example.net", null, DmarcResult.Fail, DmarcPolicy.Reject }, // could not have
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Alignment_discovery_and_disposition(string from, SpfResult spf, string? spfDomain, string? dkimDomain, DmarcResult result, DmarcPolicy disposition)
    {
        DmarcOutcome outcome = await EvaluateAsync(from, spf, spfDomain, dkimDomain is null ? [] : [Dkim(dkimDomain)]);

        Assert.Equal((result, disposition), (outcome.Result, outcome.Disposition));
    }

    [Fact]
    public async Task The_outcome_records_policy_domain_p_sp_pct_and_rua()
    {
        DmarcOutcome outcome = await EvaluateAsync("Alice <a@news.example.com>", SpfResult.Fail, "example.net");

        Assert.Equal("news.example.com", outcome.FromDomain);
        Assert.Equal("example.com", outcome.PolicyDomain);
        Assert.Equal(DmarcPolicy.Quarantine, outcome.AppliedPolicy);
        Assert.Equal(DmarcPolicy.Reject, outcome.Record!.Policy);
        Assert.Equal(100, outcome.Record.Percent);
        Assert.Equal(["mailto:dmarc@example.com"], outcome.Record.AggregateReportAddresses);
    }

    [Fact]
    public async Task Only_a_passing_dkim_signature_aligns()
    {
        DmarcOutcome outcome = await EvaluateAsync("a@example.com", SpfResult.Fail, "example.net", Dkim("example.com", DkimResult.Fail), Dkim("example.com", DkimResult.Policy));

        Assert.Equal(DmarcResult.Fail, outcome.Result);
    }

    [Fact]
    public async Task An_aligned_dkim_temperror_is_not_a_fail()
    {
        DmarcOutcome outcome = await EvaluateAsync("a@example.com", SpfResult.Fail, "example.net", Dkim("example.com", DkimResult.TempError));

        Assert.Equal((DmarcResult.TempError, DmarcPolicy.None), (outcome.Result, outcome.Disposition));
    }

    [Theory]
    [InlineData(new string[0], "0 From: headers")]
    [InlineData(new[] { "a@example.com", "b@example.com" }, "2 From: headers")]
    [InlineData(new[] { "a@example.com, b@example.net" }, "several domains")]
    [InlineData(new[] { "undisclosed-recipients:;" }, "no author domain")]
    public async Task Missing_or_multiple_from_is_a_permerror_that_rejects(string[] from, string reason)
    {
        await using var host = new PolicyHost(Zone());
        DmarcOutcome outcome = await host.Get<DmarcEvaluator>().EvaluateAsync(new DmarcInput(from, SpfResult.Pass, "example.com", []), CancellationToken.None);

        Assert.Equal((DmarcResult.PermError, DmarcPolicy.Reject), (outcome.Result, outcome.Disposition));
        Assert.Contains(reason, outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_from_is_accepted_when_the_operator_says_so()
    {
        await using var host = new PolicyHost(Zone(), new Dictionary<string, string?> { ["Policy:Dmarc:RejectMalformedFrom"] = "false" });
        DmarcOutcome outcome = await host.Get<DmarcEvaluator>().EvaluateAsync(new DmarcInput([], SpfResult.Pass, "example.com", []), CancellationToken.None);

        Assert.Equal((DmarcResult.PermError, DmarcPolicy.None), (outcome.Result, outcome.Disposition));
    }

    [Fact]
    public async Task Several_addresses_of_one_domain_are_one_author_domain()
    {
        await using var host = new PolicyHost(Zone());
        DmarcOutcome outcome = await host.Get<DmarcEvaluator>().EvaluateAsync(
            new DmarcInput(["a@example.com, b@EXAMPLE.com"], SpfResult.Pass, "example.com", []), CancellationToken.None);

        Assert.Equal(DmarcResult.Pass, outcome.Result);
    }
}
