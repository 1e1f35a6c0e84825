using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Routing;

namespace EmailPipeline.Delivery.Tests;

public sealed class TransportMapTests
{
    private static readonly TransportMap Map = new(
    [
        new TransportRule { Match = "example.test", Kind = TransportKind.Maildir },
        new TransportRule { Match = "*.example.test", Kind = TransportKind.Lmtp, Host = "lmtp.local" },
        new TransportRule { Match = "*.deep.example.test", Kind = TransportKind.Smtp, Host = "deep.relay" },
        new TransportRule { Match = "*", Kind = TransportKind.Smtp, Host = "catchall.relay" },
    ]);

    [Theory]
    [InlineData("example.test", "example.test")]
    [InlineData("EXAMPLE.TEST.", "example.test")]
    [InlineData("a.example.test", "*.example.test")]
    [InlineData("x.deep.example.test", "*.deep.example.test")]
    [InlineData("deep.example.test", "*.example.test")]
    [InlineData("other.test", "*")]
    [InlineData("notexample.test", "*")]
    public void Most_specific_rule_wins(string domain, string expected) =>
        Assert.Equal(expected, Map.Find(domain)!.Match);

    [Fact]
    public void Without_catch_all_an_unlisted_domain_has_no_rule()
    {
        var map = new TransportMap([new TransportRule { Match = "*.example.test", Kind = TransportKind.Maildir }]);
        Assert.Null(map.Find("example.test"));
        Assert.Null(map.Find("other.test"));
    }

    [Theory]
    [InlineData("example.test", true)]
    [InlineData("*.example.test", true)]
    [InlineData("*", true)]
    [InlineData("", false)]
    [InlineData("a*.example.test", false)]
    [InlineData("*.*.example.test", false)]
    [InlineData("exa mple.test", false)]
    public void Patterns_are_validated(string pattern, bool valid) =>
        Assert.Equal(valid, TransportMap.IsValidPattern(pattern));
}
