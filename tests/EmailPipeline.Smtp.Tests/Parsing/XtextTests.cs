using System.Text;
using EmailPipeline.Smtp.Parsing;

namespace EmailPipeline.Smtp.Tests.Parsing;

public sealed class XtextTests
{
    [Theory]
    [InlineData("QQ314159", "QQ314159")]
    [InlineData("user+2Btag@example.com", "user+tag@example.com")]
    [InlineData("a+3Db", "a=b")]
    [InlineData("two+20words", "two words")]
    [InlineData("lower+2bhex", "lower+hex")]
    [InlineData("+E7+94+A8", "用")]
    [InlineData("", "")]
    public void Decodes_rfc3461_examples(string xtext, string expected)
    {
        Assert.True(Xtext.TryDecode(Encoding.ASCII.GetBytes(xtext), out string? value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("a=b")]
    [InlineData("a b")]
    [InlineData("trailing+")]
    [InlineData("short+4")]
    [InlineData("bad+GG")]
    [InlineData("+FF")]
    [InlineData("ctl\u0001")]
    [InlineData("del\u007f")]
    public void Refuses_malformed_xtext(string xtext) =>
        Assert.False(Xtext.TryDecode(Encoding.Latin1.GetBytes(xtext), out _));

    [Fact]
    public void Refuses_non_ascii_octets() =>
        Assert.False(Xtext.TryDecode(new byte[] { (byte)'a', 0xC3, 0xA9 }, out _));

    [Theory]
    [InlineData("user+tag@example.com", "user+2Btag@example.com")]
    [InlineData("a=b c", "a+3Db+20c")]
    [InlineData("用", "+E7+94+A8")]
    [InlineData("plain", "plain")]
    public void Encodes_with_upper_case_hex(string value, string expected) => Assert.Equal(expected, Xtext.Encode(value));

    [Theory]
    [InlineData("<some-id@host>")]
    [InlineData("+=\t~ !")]
    [InlineData("Grüße, 世界")]
    public void Encode_then_decode_round_trips(string value)
    {
        string encoded = Xtext.Encode(value);
        Assert.True(Xtext.TryDecode(Encoding.ASCII.GetBytes(encoded), out string? decoded));
        Assert.Equal(value, decoded);
    }
}
