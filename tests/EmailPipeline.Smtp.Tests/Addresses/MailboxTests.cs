using System.Text;
using EmailPipeline.Smtp.Addresses;

namespace EmailPipeline.Smtp.Tests.Addresses;

public sealed class MailboxTests
{
    private static bool Parse(string text, bool allowUtf8, out Mailbox? mailbox) =>
        Mailbox.TryParse(Encoding.UTF8.GetBytes(text), allowUtf8, out mailbox);

    [Theory]
    [InlineData("user@example.com", "user", "example.com")]
    [InlineData("first.last@example.com", "first.last", "example.com")]
    [InlineData("x@a", "x", "a")]
    [InlineData("!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~", "example.com")]
    [InlineData("user+tag@Example.COM", "user+tag", "Example.COM")]
    [InlineData("\"a b\"@example.com", "\"a b\"", "example.com")]
    [InlineData("\"john doe\"@example.com", "\"john doe\"", "example.com")]
    [InlineData("\"\\\"quoted\\\"\"@x.test", "\"\\\"quoted\\\"\"", "x.test")]
    [InlineData("\"a@b\"@example.com", "\"a@b\"", "example.com")]
    [InlineData("\"a\\\\b\"@example.com", "\"a\\\\b\"", "example.com")]
    [InlineData("\"\"@example.com", "\"\"", "example.com")]
    [InlineData("\".leading..dots.\"@example.com", "\".leading..dots.\"", "example.com")]
    [InlineData("user@[192.0.2.1]", "user", "[192.0.2.1]")]
    [InlineData("user@[IPv6:2001:db8::1]", "user", "[IPv6:2001:db8::1]")]
    public void Valid_ascii_mailboxes_keep_their_wire_form(string text, string localPart, string domain)
    {
        Assert.True(Parse(text, allowUtf8: false, out Mailbox? mailbox));
        Assert.Equal(localPart, mailbox!.LocalPart);
        Assert.Equal(domain, mailbox.Domain.Value);
        Assert.Equal(text, mailbox.ToString());
        Assert.False(mailbox.IsInternational);
    }

    [Theory]
    [InlineData("")]
    [InlineData("user")]
    [InlineData("@example.com")]
    [InlineData("user@")]
    [InlineData(".user@example.com")]
    [InlineData("user.@example.com")]
    [InlineData("us..er@example.com")]
    [InlineData("us er@example.com")]
    [InlineData("us(er@example.com")]
    [InlineData("us\\er@example.com")]
    [InlineData("user@@example.com")]
    [InlineData("a@b@example.com")]
    [InlineData("\"unterminated@example.com")]
    [InlineData("\"a\"b@example.com")]
    [InlineData("\"a\"\"b\"@example.com")]
    [InlineData("\"tab\there\"@example.com")]
    [InlineData("\"bad\\\u0001pair\"@example.com")]
    [InlineData("\"trailing\\\"@example.com")]
    [InlineData("user@example..com")]
    [InlineData("user@example.com.")]
    [InlineData("user@[300.0.0.1]")]
    [InlineData("user@[tag:content]")]
    [InlineData("user@exa mple.com")]
    [InlineData("<user@example.com>")]
    public void Malformed_mailboxes_are_refused(string text) => Assert.False(Parse(text, allowUtf8: true, out _));

    [Fact]
    public void Local_part_of_64_octets_is_accepted_and_65_refused()
    {
        Assert.True(Parse(new string('a', 64) + "@example.com", allowUtf8: false, out _));
        Assert.False(Parse(new string('a', 65) + "@example.com", allowUtf8: false, out _));
    }

    [Fact]
    public void Quoted_local_part_counts_its_quotes_toward_64_octets()
    {
        Assert.True(Parse("\"" + new string('a', 62) + "\"@example.com", allowUtf8: false, out _));
        Assert.False(Parse("\"" + new string('a', 63) + "\"@example.com", allowUtf8: false, out _));
    }

    [Fact]
    public void Mailbox_longer_than_254_octets_is_refused()
    {
        string label = new('d', 63);
        string local = new('a', 64);
        Assert.True(Parse($"{local}@{label}.{label}.{new string('d', 61)}", allowUtf8: false, out Mailbox? fits));
        Assert.Equal(254, fits!.ToString().Length);
        Assert.False(Parse($"{local}@{label}.{label}.{new string('d', 62)}", allowUtf8: false, out _));
    }

    [Theory]
    [InlineData("用户@例子.广告")]
    [InlineData("用户@example.com")]
    [InlineData("user@例子.广告")]
    [InlineData("\"δοκιμή test\"@example.com")]
    [InlineData("Pelé@example.com")]
    public void Utf8_mailboxes_parse_when_allowed_and_are_international(string text)
    {
        Assert.True(Parse(text, allowUtf8: true, out Mailbox? mailbox));
        Assert.True(mailbox!.IsInternational);
        Assert.Equal(text, mailbox.ToString());
    }

    [Theory]
    [InlineData("用户@例子.广告")]
    [InlineData("用户@example.com")]
    [InlineData("user@例子.广告")]
    [InlineData("\"δοκιμή\"@example.com")]
    public void Utf8_mailboxes_are_refused_when_not_allowed(string text) => Assert.False(Parse(text, allowUtf8: false, out _));

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28, (byte)'@', (byte)'x' })]
    [InlineData(new byte[] { (byte)'a', 0x80, (byte)'@', (byte)'x' })]
    [InlineData(new byte[] { (byte)'"', 0xFE, (byte)'"', (byte)'@', (byte)'x' })]
    [InlineData(new byte[] { (byte)'a', (byte)'@', 0xED, 0xA0, 0x80 })]
    public void Invalid_utf8_is_refused(byte[] bytes) => Assert.False(Mailbox.TryParse(bytes, allowUtf8: true, out _));

    [Fact]
    public void Equality_is_exact_on_local_part_and_case_insensitive_on_domain()
    {
        Assert.True(Parse("User@EXAMPLE.com", allowUtf8: false, out Mailbox? a));
        Assert.True(Parse("User@example.COM", allowUtf8: false, out Mailbox? b));
        Assert.True(Parse("user@example.com", allowUtf8: false, out Mailbox? c));
        Assert.Equal(a, b);
        Assert.Equal(a!.GetHashCode(), b!.GetHashCode());
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData("postmaster@example.com", true)]
    [InlineData("PostMaster@example.com", true)]
    [InlineData("postmaster2@example.com", false)]
    public void Postmaster_is_recognised_in_any_case(string text, bool expected)
    {
        Assert.True(Parse(text, allowUtf8: false, out Mailbox? mailbox));
        Assert.Equal(expected, mailbox!.IsPostmaster);
    }

    [Fact]
    public void String_overload_parses_like_bytes()
    {
        Assert.True(Mailbox.TryParse("用户@例子.广告", allowUtf8: true, out Mailbox? mailbox));
        Assert.Equal("xn--fsqu00a.xn--4rr70v", mailbox.Domain.Ascii);
        Assert.False(Mailbox.TryParse((string?)null, allowUtf8: true, out _));
    }
}
