using EmailPipeline.Policy.Dmarc;

namespace EmailPipeline.Policy.Tests.Dmarc;

public sealed class PublicSuffixListTests
{
    private static readonly Lazy<PublicSuffixList> Shipped = new(() => PublicSuffixList.Load(new DmarcOptions().PublicSuffixListPath));

    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("mail.example.com", "example.com")]
    [InlineData("a.b.c.example.com", "example.com")]
    [InlineData("example.co.uk", "example.co.uk")]
    [InlineData("mail.example.co.uk", "example.co.uk")]
    [InlineData("co.uk", "co.uk")]
    [InlineData("shop.example.com.au", "example.com.au")]
    [InlineData("MAIL.Example.COM.", "example.com")]
    [InlineData("host.unknown-tld-xyz", "host.unknown-tld-xyz")]
    public void The_shipped_list_gives_the_organizational_domain(string domain, string expected) =>
        Assert.Equal(expected, Shipped.Value.OrganizationalDomain(domain));

    [Theory]
    [InlineData("a.b.ck", "a.b.ck")]
    [InlineData("x.a.b.ck", "a.b.ck")]
    [InlineData("www.ck", "www.ck")]
    [InlineData("mail.www.ck", "www.ck")]
    [InlineData("example.test", "example.test")]
    public void Wildcards_and_exceptions_follow_the_list_rules(string domain, string expected)
    {
        PublicSuffixList list = PublicSuffixList.Parse(["// comment", "", "*.ck", "!www.ck", "test"]);

        Assert.Equal(expected, list.OrganizationalDomain(domain));
    }
}
