using System.Text;
using EmailPipeline.Smtp.Parsing;

namespace EmailPipeline.Smtp.Tests.Parsing;

public sealed class HostileInputTests
{
    [Theory]
    [InlineData("DATA\0")]
    [InlineData("\0")]
    [InlineData("MAIL FROM:<a\0@b.example>")]
    [InlineData("RCPT TO:<a@b.example>\0")]
    [InlineData("NOOP \0")]
    [InlineData("EHLO x\0y")]
    public void Nul_anywhere_gets_500(string line) =>
        ParseAssert.Reply("500 5.5.2", ParseAssert.Refused(line));

    [Theory]
    [InlineData("DATA é")]
    [InlineData("RSET 用户")]
    [InlineData("BDAT 1０")]
    [InlineData("MAIL FROM:<a@b.example> ENVID=é")]
    [InlineData("RCPT TO:<a@b.example> NOTIFY=ＮＥＶＥＲ")]
    [InlineData("AUTH PLÄIN")]
    public void Non_ascii_outside_a_path_gets_501(string line) =>
        ParseAssert.Reply("501 5.5.4", ParseAssert.Refused(line));

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, 0xFD })]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00 })]
    [InlineData(new byte[] { (byte)'M', (byte)'A', (byte)'I', 0xCC })]
    public void Binary_garbage_gets_500(byte[] line) =>
        ParseAssert.Reply("500 5.5.2", ParseAssert.Refused(line));

    [Theory]
    [InlineData(new byte[] { (byte)'M', (byte)'A', (byte)'I', (byte)'L', (byte)' ', (byte)'F', (byte)'R', (byte)'O', (byte)'M', (byte)':', (byte)'<', 0xC3, 0x28, (byte)'@', (byte)'x', (byte)'>' })]
    [InlineData(new byte[] { (byte)'M', (byte)'A', (byte)'I', (byte)'L', (byte)' ', (byte)'F', (byte)'R', (byte)'O', (byte)'M', (byte)':', (byte)'<', (byte)'a', (byte)'@', 0xF5, 0x80, (byte)'>' })]
    public void Invalid_utf8_in_a_path_is_an_address_error(byte[] line) =>
        ParseAssert.Reply("501 5.1.7", ParseAssert.Refused(line));

    [Fact]
    public void Every_single_byte_line_returns_a_result()
    {
        for (int b = 0; b < 256; b++)
        {
            SmtpCommandParseResult result = SmtpCommandParser.Parse([(byte)b]);
            Assert.True(result.IsSuccess ^ result.Error is not null);
        }
    }

    [Fact]
    public void Random_lines_built_from_grammar_fragments_never_throw()
    {
        string[] fragments =
        [
            "MAIL", "RCPT", "EHLO", "BDAT", "AUTH", "DATA", "FROM:", "TO:", " ", "  ", "<", ">", "<>", "@", "\"", "\\",
            ".", "..", ",", ":", "[", "]", "IPv6:", "::1", "192.0.2.1", "example.com", "用户", "例子", "xn--", "-",
            "SIZE=", "BODY=", "NOTIFY=", "ORCPT=", "ENVID=", "AUTH=", "RET=", "SMTPUTF8", "NEVER", "FULL", "+", "+2B",
            "=", ";", "rfc822", "9999999999999999999999", "0", "LAST", "\t", "\0", "\r", "\n", "postmaster",
        ];
        var random = new Random(5321);
        var builder = new StringBuilder();
        for (int i = 0; i < 20_000; i++)
        {
            builder.Clear();
            int count = random.Next(1, 14);
            for (int j = 0; j < count; j++)
            {
                builder.Append(fragments[random.Next(fragments.Length)]);
            }

            SmtpCommandParseResult result = SmtpCommandParser.Parse(Encoding.UTF8.GetBytes(builder.ToString()));
            Assert.True(result.IsSuccess ^ result.Error is not null, builder.ToString());
        }
    }

    [Fact]
    public void Random_bytes_after_each_verb_never_throw()
    {
        string[] prefixes = ["", "MAIL FROM:<", "RCPT TO:<", "MAIL FROM:<a@b.example> ", "RCPT TO:<a@b.example> ORCPT=", "EHLO ", "BDAT ", "AUTH ", "VRFY "];
        var random = new Random(6531);
        byte[] buffer = new byte[600];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] prefix = Encoding.ASCII.GetBytes(prefixes[i % prefixes.Length]);
            int length = random.Next(0, 80);
            prefix.CopyTo(buffer, 0);
            random.NextBytes(buffer.AsSpan(prefix.Length, length));
            SmtpCommandParseResult result = SmtpCommandParser.Parse(buffer.AsSpan(0, prefix.Length + length));
            Assert.True(result.IsSuccess ^ result.Error is not null);
        }
    }

    [Fact]
    public void Data_parses_without_allocating()
    {
        byte[] line = "DATA"u8.ToArray();
        _ = SmtpCommandParser.Parse(line);
        long before = GC.GetAllocatedBytesForCurrentThread();
        SmtpCommandParseResult result = SmtpCommandParser.Parse(line);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(result.IsSuccess);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Very_long_lines_are_handled() =>
        ParseAssert.Reply("501 5.1.3", ParseAssert.Refused("RCPT TO:<" + new string('a', 100_000) + "@example.com>"));
}
