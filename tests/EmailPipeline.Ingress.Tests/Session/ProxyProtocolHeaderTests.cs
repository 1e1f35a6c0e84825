using System.Buffers;
using System.Net;
using System.Text;
using EmailPipeline.Ingress.Proxy;

namespace EmailPipeline.Ingress.Tests.Session;

public sealed class ProxyProtocolHeaderTests
{
    private static ProxyParseStatus Parse(byte[] bytes, out ProxyProtocolHeader? header, out int length) =>
        ProxyProtocolHeader.TryParse(new ReadOnlySequence<byte>(bytes), out header, out length);

    [Fact]
    public void V1_tcp4_gives_source_and_length()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\nEHLO x\r\n");
        Assert.Equal(ProxyParseStatus.Parsed, Parse(bytes, out var header, out int length));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 40000), header!.Source);
        Assert.Equal(bytes.Length - "EHLO x\r\n".Length, length);
    }

    [Fact]
    public void V1_unknown_keeps_the_socket_address()
    {
        Assert.Equal(ProxyParseStatus.Parsed, Parse(Encoding.ASCII.GetBytes("PROXY UNKNOWN\r\n"), out var header, out _));
        Assert.Null(header!.Source);
    }

    [Theory]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 40000\r\n")]
    [InlineData("PROXY TCP4 2001:db8::1 192.0.2.1 40000 25\r\n")]
    [InlineData("PROXY TCP9 1.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 70000 2\r\n")]
    [InlineData("EHLO not-a-proxy-header\r\n")]
    public void Malformed_v1_headers_are_invalid(string text) =>
        Assert.Equal(ProxyParseStatus.Invalid, Parse(Encoding.ASCII.GetBytes(text), out _, out _));

    [Fact]
    public void Partial_headers_ask_for_more()
    {
        Assert.Equal(ProxyParseStatus.NeedMoreData, Parse(Encoding.ASCII.GetBytes("PROXY TCP4 203.0"), out _, out _));
        Assert.Equal(ProxyParseStatus.NeedMoreData, Parse([0x0D, 0x0A, 0x0D, 0x0A, 0x00], out _, out _));
    }

    [Fact]
    public void A_v1_header_without_crlf_in_107_bytes_is_invalid() =>
        Assert.Equal(ProxyParseStatus.Invalid, Parse(Encoding.ASCII.GetBytes("PROXY TCP4 " + new string('1', 120)), out _, out _));

    [Fact]
    public void V2_ipv4_and_local_commands()
    {
        byte[] signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
        byte[] proxy = [.. signature, 0x21, 0x11, 0x00, 0x0C, 198, 51, 100, 9, 192, 0, 2, 1, 0x1F, 0x90, 0x00, 0x19];
        Assert.Equal(ProxyParseStatus.Parsed, Parse(proxy, out var header, out int length));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.9"), 8080), header!.Source);
        Assert.Equal(28, length);

        byte[] local = [.. signature, 0x20, 0x00, 0x00, 0x00];
        Assert.Equal(ProxyParseStatus.Parsed, Parse(local, out var health, out _));
        Assert.Null(health!.Source);

        byte[] badVersion = [.. signature, 0x11, 0x11, 0x00, 0x00];
        Assert.Equal(ProxyParseStatus.Invalid, Parse(badVersion, out _, out _));
    }
}
