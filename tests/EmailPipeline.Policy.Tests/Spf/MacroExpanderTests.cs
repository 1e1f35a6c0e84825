using System.Net;
using EmailPipeline.Policy.Spf;

namespace EmailPipeline.Policy.Tests.Spf;

/// <summary>RFC 7208 §7.4: sender strong-bad@email.example.com, client 192.0.2.3 or 2001:db8::cb01.</summary>
public sealed class MacroExpanderTests
{
    public static TheoryData<string, string> Ip4Examples => new()
    {
        { "%{s}", "strong-bad@email.example.com" },
        { "%{o}", "email.example.com" },
        { "%{d}", "email.example.com" },
        { "%{d4}", "email.example.com" },
        { "%{d3}", "email.example.com" },
        { "%{d2}", "example.com" },
        { "%{d1}", "com" },
        { "%{dr}", "com.example.email" },
        { "%{d2r}", "example.email" },
        { "%{l}", "strong-bad" },
        { "%{l-}", "strong.bad" },
        { "%{lr}", "strong-bad" },
        { "%{lr-}", "bad.strong" },
        { "%{l1r-}", "strong" },
        { "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
        { "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
        { "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
        { "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com" },
        { "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net" },
        { "%%%_%-", "% %20" },
        { "%{L}", "strong-bad" },
    };

    [Theory]
    [MemberData(nameof(Ip4Examples))]
    public async Task Rfc_7208_examples_expand_for_ip4(string macro, string expected) =>
        Assert.Equal(expected, await ExpandAsync(macro, IPAddress.Parse("192.0.2.3")));

    [Fact]
    public async Task Ip6_addresses_expand_to_nibbles() =>
        Assert.Equal(
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
            await ExpandAsync("%{ir}.%{v}._spf.%{d2}", IPAddress.Parse("2001:db8::cb01")));

    [Fact]
    public async Task Upper_case_macros_are_url_escaped()
    {
        MacroContext context = Context(IPAddress.Parse("192.0.2.3"), "~jack&jill=up-a_b3.c");
        string expanded = await MacroExpander.ExpandAsync(MacroString.TryParse("%{L}")!, context, "example.com", TestContext.Current.CancellationToken);
        Assert.Equal("~jack%26jill%3Dup-a_b3.c", expanded);
    }

    [Fact]
    public async Task Explanation_only_macros_expand_in_explanations()
    {
        MacroContext context = Context(IPAddress.Parse("2001:db8::cb01"), "strong-bad");
        MacroString text = MacroString.TryParseExplanation("%{c} via %{r} at %{t}")!;
        Assert.Equal("2001:db8::cb01 via mx.example.org at 1000000000", await MacroExpander.ExpandAsync(text, context, "example.com", TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("%{c}")]
    [InlineData("%{r}")]
    [InlineData("%{t}")]
    [InlineData("%{a}")]
    [InlineData("%{d0}")]
    [InlineData("%{d2x}")]
    [InlineData("%(d)")]
    [InlineData("%x")]
    [InlineData("trailing%")]
    [InlineData("%{d")]
    [InlineData("with space")]
    public void Invalid_macro_strings_are_refused(string text) => Assert.Null(MacroString.TryParse(text));

    [Fact]
    public async Task Long_domain_names_lose_labels_on_the_left()
    {
        string label = new('a', 60);
        string spec = string.Join('.', Enumerable.Repeat(label, 5)) + ".%{d}";
        string name = await MacroExpander.ExpandDomainAsync(MacroString.TryParseDomainSpec(spec)!, Context(IPAddress.Loopback, "x"), "example.com", TestContext.Current.CancellationToken);
        Assert.Equal(string.Join('.', Enumerable.Repeat(label, 3)) + ".example.com", name);
    }

    private static Task<string> ExpandAsync(string macro, IPAddress ip) =>
        MacroExpander.ExpandAsync(MacroString.TryParse(macro)!, Context(ip, "strong-bad"), "email.example.com", TestContext.Current.CancellationToken);

    private static MacroContext Context(IPAddress ip, string localPart) =>
        new(ip, localPart + "@email.example.com", localPart, "email.example.com", "mx.example.org", "mx.example.org",
            DateTimeOffset.FromUnixTimeSeconds(1_000_000_000), (_, _) => Task.FromResult("unknown"));
}
