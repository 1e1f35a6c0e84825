using System.Net;
using EmailPipeline.Policy.Spf;

namespace EmailPipeline.Policy.Tests.Spf;

public sealed class SpfRecordParserTests
{
    [Theory]
    [InlineData("v=spf1", true)]
    [InlineData("V=SpF1 -all", true)]
    [InlineData("v=spf10", false)]
    [InlineData("v=spf1mx", false)]
    [InlineData("spf2.0/pra", false)]
    public void Records_are_recognised_by_their_version(string text, bool expected) =>
        Assert.Equal(expected, SpfRecordParser.IsSpfRecord(text));

    [Fact]
    public void The_rfc_7208_example_record_parses_into_directives_and_modifiers()
    {
        Assert.True(SpfRecordParser.TryParse(
            "v=spf1 +mx a:colo.example.com/28 ip4:192.0.2.0/24 ip6:2001:db8::/32 -include:x.%{d2} ptr exists:%{ir}.%{l1r+-}._spf.%{d} ~all redirect=_spf.example.com exp=explain._spf.%{d} unknown=x",
            out SpfRecord? record,
            out string? error), error);

        Assert.Equal(
            [SpfMechanism.Mx, SpfMechanism.A, SpfMechanism.Ip4, SpfMechanism.Ip6, SpfMechanism.Include, SpfMechanism.Ptr, SpfMechanism.Exists, SpfMechanism.All],
            record.Directives.Select(d => d.Mechanism));
        Assert.Equal(SpfResult.Fail, record.Directives[4].Qualifier);
        Assert.Equal(SpfResult.SoftFail, record.Directives[7].Qualifier);
        Assert.Equal("colo.example.com", record.Directives[1].Domain!.Text);
        Assert.Equal(28, record.Directives[1].Ip4Prefix);
        Assert.Equal(IPAddress.Parse("2001:db8::"), record.Directives[3].Network);
        Assert.Equal(32, record.Directives[3].Ip6Prefix);
        Assert.Equal("_spf.example.com", record.Redirect!.Text);
        Assert.Equal("explain._spf.%{d}", record.Explanation!.Text);
    }

    [Fact]
    public void Dual_cidr_lengths_are_read_from_the_end_of_the_domain()
    {
        Assert.True(SpfRecordParser.TryParse("v=spf1 mx:foo:bar/baz.example.com/24//64", out SpfRecord? record, out _));
        SpfDirective mx = Assert.Single(record.Directives);
        Assert.Equal("foo:bar/baz.example.com", mx.Domain!.Text);
        Assert.Equal((24, 64), (mx.Ip4Prefix, mx.Ip6Prefix));
    }

    [Theory]
    [InlineData("v=spf1 ip4:1.2.3.4 -all moo")]
    [InlineData("v=spf1 -all.")]
    [InlineData("v=spf1 -all:foo")]
    [InlineData("v=spf1 a/33")]
    [InlineData("v=spf1 a//129")]
    [InlineData("v=spf1 a/24/64")]
    [InlineData("v=spf1 ip4:1.2.3.4/032")]
    [InlineData("v=spf1 ip4:1.2.3")]
    [InlineData("v=spf1 ip4:1.2.3.4//32")]
    [InlineData("v=spf1 ip6::CAFE::BABE")]
    [InlineData("v=spf1 ptr/0")]
    [InlineData("v=spf1 include")]
    [InlineData("v=spf1 include:")]
    [InlineData("v=spf1 exists:mail.example.com/24")]
    [InlineData("v=spf1 a:museum")]
    [InlineData("v=spf1 a:abc.123")]
    [InlineData("v=spf1 a:example.-com")]
    [InlineData("v=spf1 redirect:example.com")]
    [InlineData("v=spf1 redirect=")]
    [InlineData("v=spf1 exp=a.example.com exp=b.example.com")]
    [InlineData("v=spf1 exp=%{r}.example.com")]
    [InlineData("v=spf1 1up=foo")]
    [InlineData("v=spf1 =all")]
    [InlineData("v=spf1 foo=%abc")]
    [InlineData("v=spf1 a:ctrl.example.com\rptr")]
    [InlineData("v=spf1 a:caf\u00e9.example.com")]
    public void Syntax_errors_anywhere_are_refused(string text) =>
        Assert.False(SpfRecordParser.TryParse(text, out _, out _));

    [Theory]
    [InlineData("v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all")]
    [InlineData("v=spf1 default=+")]
    [InlineData("v=spf1 a  -all ")]
    [InlineData("v=spf1 a:foo.example.xn--zckzah -all")]
    [InlineData("v=spf1 a:macro%%percent%_%_space%-url-space.example.com")]
    [InlineData("v=spf1 redirect=%{d}.d.spf.example.com.")]
    public void Valid_records_parse(string text) =>
        Assert.True(SpfRecordParser.TryParse(text, out _, out string? error), error);
}
