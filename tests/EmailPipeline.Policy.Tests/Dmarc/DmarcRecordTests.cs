using EmailPipeline.Policy.Dmarc;

namespace EmailPipeline.Policy.Tests.Dmarc;

public sealed class DmarcRecordTests
{
    [Fact]
    public void Every_tag_is_read()
    {
        Assert.True(DmarcRecord.TryParse(
            "v=DMARC1; p=reject; sp=quarantine; pct=25; adkim=s; aspf=s; rua=mailto:agg@example.com,mailto:b@example.net; ruf=mailto:f@example.com; fo=1",
            out DmarcRecord? record, out _));

        Assert.Equal(DmarcPolicy.Reject, record!.Policy);
        Assert.Equal(DmarcPolicy.Quarantine, record.SubdomainPolicy);
        Assert.Equal(25, record.Percent);
        Assert.True(record.StrictDkim);
        Assert.True(record.StrictSpf);
        Assert.Equal(["mailto:agg@example.com", "mailto:b@example.net"], record.AggregateReportAddresses);
        Assert.Equal(["mailto:f@example.com"], record.FailureReportAddresses);
    }

    [Theory]
    [InlineData("v=DMARC1; p=none", DmarcPolicy.None, null, 100, false)]
    [InlineData("v=DMARC1;p=Quarantine;", DmarcPolicy.Quarantine, null, 100, false)]
    [InlineData("v = DMARC1 ; p = reject ; pct = 150", DmarcPolicy.Reject, null, 100, false)]
    [InlineData("v=DMARC1; p=reject; sp=bogus; adkim=x", DmarcPolicy.Reject, null, 100, false)]
    [InlineData("v=DMARC1; p=bogus; rua=mailto:r@example.com", DmarcPolicy.None, null, 100, false)]
    [InlineData("v=DMARC1; p=reject; aspf=s; pct=0; sp=none", DmarcPolicy.Reject, DmarcPolicy.None, 0, true)]
    public void Values_and_defaults_follow_rfc_7489(string text, DmarcPolicy p, DmarcPolicy? sp, int pct, bool strictSpf)
    {
        Assert.True(DmarcRecord.TryParse(text, out DmarcRecord? record, out string? error), error);
        Assert.Equal((p, sp, pct, strictSpf), (record!.Policy, record.SubdomainPolicy, record.Percent, record.StrictSpf));
    }

    [Theory]
    [InlineData("p=reject; v=DMARC1")]
    [InlineData("v=DMARC2; p=reject")]
    [InlineData("v=dmarc1; p=reject")]
    [InlineData("v=DMARC1; p=bogus")]
    [InlineData("v=DMARC1")]
    [InlineData("v=spf1 -all")]
    public void Records_that_are_not_dmarc_or_lack_a_policy_are_refused(string text) =>
        Assert.False(DmarcRecord.TryParse(text, out _, out _));
}
