using System.Text;
using EmailPipeline.Delivery.Smtp;

namespace EmailPipeline.Delivery.Tests.Smtp;

public sealed class DotStuffingTests
{
    [Theory]
    [InlineData("a\r\n", "a\r\n.\r\n")]
    [InlineData(".\r\n", "..\r\n.\r\n")]
    [InlineData("x\r\n.\r\n", "x\r\n..\r\n.\r\n")]
    [InlineData("..two\r\n.one\r\nmid.dle\r\n", "...two\r\n..one\r\nmid.dle\r\n.\r\n")]
    [InlineData("", ".\r\n")]
    [InlineData("no line end", "no line end\r\n.\r\n")]
    [InlineData(".", "..\r\n.\r\n")]
    [InlineData("\r\n\r\n", "\r\n\r\n.\r\n")]
    public void Leading_dots_are_doubled_and_nothing_else_changes(string content, string wire)
    {
        Assert.Equal(wire, Encoding.ASCII.GetString(DotStuffing.Encode(Encoding.ASCII.GetBytes(content))));
    }

    [Theory]
    [InlineData("a\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n")]
    [InlineData("a\r.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n")]
    [InlineData("a\n", "a\r\n.\r\n")]
    [InlineData("a\r", "a\r\n.\r\n")]
    public void Bare_line_endings_go_as_CRLF_so_no_lenient_peer_sees_an_early_end_of_data(string content, string wire)
    {
        Assert.Equal(wire, Encoding.ASCII.GetString(DotStuffing.Encode(Encoding.ASCII.GetBytes(content))));
    }

    [Fact]
    public void Eight_bit_and_binary_bytes_pass_through()
    {
        byte[] content = [0xFF, 0x00, 0x80, (byte)'\r', (byte)'\n', (byte)'.', 0xC3, 0xA4, (byte)'\r', (byte)'\n'];
        Assert.Equal([0xFF, 0x00, 0x80, (byte)'\r', (byte)'\n', (byte)'.', (byte)'.', 0xC3, 0xA4, (byte)'\r', (byte)'\n', (byte)'.', (byte)'\r', (byte)'\n'], DotStuffing.Encode(content));
    }
}
