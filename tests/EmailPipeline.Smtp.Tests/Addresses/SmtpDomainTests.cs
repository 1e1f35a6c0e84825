using System.Net;
using System.Text;
using EmailPipeline.Smtp.Addresses;

namespace EmailPipeline.Smtp.Tests.Addresses;

public sealed class SmtpDomainTests
{
    private static bool Parse(string text, bool allowUtf8, out SmtpDomain? domain) =>
        SmtpDomain.TryParse(Encoding.UTF8.GetBytes(text), allowUtf8, out domain);

    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("Mail.EXAMPLE.com", "mail.example.com")]
    [InlineData("a", "a")]
    [InlineData("x-1.example", "x-1.example")]
    [InlineData("123.example", "123.example")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    public void Ldh_names_parse_and_lower_case_their_ascii_form(string text, string ascii)
    {
        Assert.True(Parse(text, allowUtf8: false, out SmtpDomain? domain));
        Assert.Equal(text, domain!.Value);
        Assert.Equal(ascii, domain.Ascii);
        Assert.False(domain.IsAddressLiteral);
        Assert.False(domain.IsInternational);
        Assert.Null(domain.Address);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".example.com")]
    [InlineData("example.com.")]
    [InlineData("example..com")]
    [InlineData("-example.com")]
    [InlineData("example-.com")]
    [InlineData("exa_mple.com")]
    [InlineData("exa mple.com")]
    [InlineData("example.com>")]
    [InlineData("xn--zz.example")]
    [InlineData("[192.0.2.1")]
    [InlineData("[]")]
    public void Malformed_names_are_refused(string text) => Assert.False(Parse(text, allowUtf8: true, out _));

    [Fact]
    public void Label_of_63_octets_is_accepted_and_64_refused()
    {
        Assert.True(Parse(new string('a', 63) + ".example", allowUtf8: false, out _));
        Assert.False(Parse(new string('a', 64) + ".example", allowUtf8: false, out _));
    }

    [Fact]
    public void Name_of_255_octets_is_accepted_and_256_refused()
    {
        string label = new('a', 63);
        string name255 = $"{label}.{label}.{label}.{label}";
        string name256 = $"a.{label}.{label}.{label}.{new string('a', 62)}";
        Assert.Equal(255, name255.Length);
        Assert.Equal(256, name256.Length);
        Assert.True(Parse(name255, allowUtf8: false, out _));
        Assert.False(Parse(name256, allowUtf8: false, out _));
    }

    [Fact]
    public void U_labels_parse_when_utf8_is_allowed()
    {
        Assert.True(Parse("例子.广告", allowUtf8: true, out SmtpDomain? domain));
        Assert.Equal("例子.广告", domain!.Value);
        Assert.Equal("xn--fsqu00a.xn--4rr70v", domain.Ascii);
        Assert.True(domain.IsInternational);
    }

    [Fact]
    public void U_labels_are_refused_when_utf8_is_not_allowed() =>
        Assert.False(Parse("例子.广告", allowUtf8: false, out _));

    [Fact]
    public void U_label_that_is_too_long_as_an_a_label_is_refused() =>
        Assert.False(Parse(new string('ü', 60) + ".example", allowUtf8: true, out _));

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28, (byte)'.', (byte)'x' })]
    [InlineData(new byte[] { 0xFF, (byte)'.', (byte)'x' })]
    [InlineData(new byte[] { 0xE4, 0xBE, (byte)'.', (byte)'x' })]
    public void Invalid_utf8_is_refused(byte[] bytes) => Assert.False(SmtpDomain.TryParse(bytes, allowUtf8: true, out _));

    [Fact]
    public void Names_compare_case_insensitively_and_across_label_forms()
    {
        Assert.True(Parse("Bücher.Example", allowUtf8: true, out SmtpDomain? unicode));
        Assert.True(Parse("XN--BCHER-KVA.example", allowUtf8: false, out SmtpDomain? ascii));
        Assert.Equal(unicode, ascii);
        Assert.True(unicode == ascii);
        Assert.Equal(unicode!.GetHashCode(), ascii!.GetHashCode());
    }

    [Theory]
    [InlineData("[192.0.2.1]", "[192.0.2.1]", "192.0.2.1")]
    [InlineData("[0.0.0.0]", "[0.0.0.0]", "0.0.0.0")]
    [InlineData("[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]", "2001:db8::1")]
    [InlineData("[ipv6:2001:DB8:0:0:0:0:0:1]", "[IPv6:2001:db8::1]", "2001:db8::1")]
    [InlineData("[IPv6:::ffff:192.0.2.1]", "[IPv6:::ffff:192.0.2.1]", "::ffff:192.0.2.1")]
    public void Address_literals_parse_to_their_address(string text, string ascii, string address)
    {
        Assert.True(Parse(text, allowUtf8: false, out SmtpDomain? domain));
        Assert.True(domain!.IsAddressLiteral);
        Assert.Equal(text, domain.Value);
        Assert.Equal(ascii, domain.Ascii);
        Assert.Equal(IPAddress.Parse(address), domain.Address);
    }

    [Theory]
    [InlineData("[192.0.2]")]
    [InlineData("[192.0.2.256]")]
    [InlineData("[192.0.2.1.5]")]
    [InlineData("[1]")]
    [InlineData("[0x7f.0.0.1]")]
    [InlineData("[192.0.2.0001]")]
    [InlineData("[2001:db8::1]")]
    [InlineData("[IPv6:192.0.2.1]")]
    [InlineData("[IPv6:2001:db8::1%eth0]")]
    [InlineData("[IPv6:2001:db8::g]")]
    [InlineData("[IPv6:]")]
    [InlineData("[x400:c=us;a=;p=x]")]
    [InlineData("[tag:content]")]
    public void Malformed_or_general_address_literals_are_refused(string text) =>
        Assert.False(Parse(text, allowUtf8: true, out _));

    [Theory]
    [InlineData("example.com", "example.com", true)]
    [InlineData("mx.Example.com", "example.COM", true)]
    [InlineData("a.b.example.com", "example.com", true)]
    [InlineData("badexample.com", "example.com", false)]
    [InlineData("example.com", "mx.example.com", false)]
    [InlineData("bücher.example", "xn--bcher-kva.example", true)]
    [InlineData("[192.0.2.1]", "[192.0.2.1]", true)]
    [InlineData("[192.0.2.1]", "example.com", false)]
    [InlineData("example.com", "not a domain", false)]
    public void Subdomain_check_follows_label_boundaries(string domain, string parent, bool expected)
    {
        Assert.True(Parse(domain, allowUtf8: true, out SmtpDomain? parsed));
        Assert.Equal(expected, parsed!.IsSameOrSubdomainOf(parent));
    }
}
