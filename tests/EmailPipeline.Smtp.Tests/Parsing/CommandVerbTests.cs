using EmailPipeline.Smtp.Parsing;

namespace EmailPipeline.Smtp.Tests.Parsing;

public sealed class CommandVerbTests
{
    [Theory]
    [InlineData("EHLO mail.example.com", "mail.example.com", true)]
    [InlineData("ehlo mail.example.com", "mail.example.com", true)]
    [InlineData("HELO mail.example.com", "mail.example.com", false)]
    [InlineData("HeLo Mail.Example.Com", "Mail.Example.Com", false)]
    [InlineData("EHLO [192.0.2.1]", "[192.0.2.1]", true)]
    [InlineData("EHLO [IPv6:2001:db8::1]", "[IPv6:2001:db8::1]", true)]
    [InlineData("EHLO 192.0.2.1", "192.0.2.1", true)]
    [InlineData("EHLO under_score.example", "under_score.example", true)]
    [InlineData("EHLO  spaced.example  ", "spaced.example", true)]
    [InlineData("EHLO 例子.广告", "例子.广告", true)]
    public void Helo_and_ehlo_keep_their_argument_as_given(string line, string domain, bool extended)
    {
        HeloCommand command = ParseAssert.Command<HeloCommand>(line);
        Assert.Equal(domain, command.Domain);
        Assert.Equal(extended, command.Extended);
    }

    [Theory]
    [InlineData("EHLO")]
    [InlineData("HELO ")]
    [InlineData("EHLO two words")]
    [InlineData("EHLO tab\there")]
    [InlineData("EHLO ctl\u0001")]
    public void Helo_without_a_single_argument_gets_501(string line) =>
        ParseAssert.Reply("501 5.5.4", ParseAssert.Refused(line));

    [Fact]
    public void Helo_with_invalid_utf8_gets_501() =>
        ParseAssert.Reply("501 5.5.4", ParseAssert.Refused([.. "EHLO x"u8, 0xC3, 0x28]));

    [Theory]
    [InlineData("DATA")]
    [InlineData("data")]
    [InlineData("Data  ")]
    [InlineData("DATA\t")]
    public void Data_parses_in_any_case(string line) => Assert.Same(DataCommand.Instance, ParseAssert.Command<DataCommand>(line));

    [Theory]
    [InlineData("RSET", typeof(RsetCommand))]
    [InlineData("rset", typeof(RsetCommand))]
    [InlineData("QUIT", typeof(QuitCommand))]
    [InlineData("quit", typeof(QuitCommand))]
    [InlineData("STARTTLS", typeof(StartTlsCommand))]
    [InlineData("StartTls", typeof(StartTlsCommand))]
    [InlineData("NOOP", typeof(NoopCommand))]
    [InlineData("noop", typeof(NoopCommand))]
    [InlineData("NOOP anything at all", typeof(NoopCommand))]
    public void Commands_without_arguments_parse(string line, Type expected) =>
        Assert.IsType(expected, ParseAssert.Command<SmtpCommand>(line));

    [Theory]
    [InlineData("DATA now")]
    [InlineData("RSET x")]
    [InlineData("QUIT please")]
    [InlineData("STARTTLS x")]
    public void Argument_to_a_command_that_takes_none_gets_501(string line) =>
        ParseAssert.Reply("501 5.5.4", ParseAssert.Refused(line));

    [Theory]
    [InlineData("BDAT 0 LAST", 0L, true)]
    [InlineData("BDAT 1000", 1000L, false)]
    [InlineData("bdat 86 last", 86L, true)]
    [InlineData("BDAT 9223372036854775807", long.MaxValue, false)]
    [InlineData("BDAT 00042 LAST", 42L, true)]
    public void Bdat_parses_size_and_last(string line, long size, bool last)
    {
        BdatCommand command = ParseAssert.Command<BdatCommand>(line);
        Assert.Equal(size, command.Size);
        Assert.Equal(last, command.Last);
    }

    [Theory]
    [InlineData("BDAT")]
    [InlineData("BDAT LAST")]
    [InlineData("BDAT -1")]
    [InlineData("BDAT +5")]
    [InlineData("BDAT 1.5")]
    [InlineData("BDAT 0x10")]
    [InlineData("BDAT 9223372036854775808")]
    [InlineData("BDAT 99999999999999999999999")]
    [InlineData("BDAT 10 FIRST")]
    [InlineData("BDAT 10 LAST now")]
    public void Bdat_with_bad_size_or_keyword_gets_501(string line) =>
        ParseAssert.Reply("501 5.5.4", ParseAssert.Refused(line));

    [Theory]
    [InlineData("VRFY postmaster", "postmaster")]
    [InlineData("vrfy <user@example.com>", "<user@example.com>")]
    [InlineData("VRFY John Smith", "John Smith")]
    public void Vrfy_keeps_its_argument(string line, string argument) =>
        Assert.Equal(argument, ParseAssert.Command<VrfyCommand>(line).Argument);

    [Theory]
    [InlineData("EXPN staff", "staff")]
    [InlineData("expn Example-People", "Example-People")]
    public void Expn_keeps_its_argument(string line, string argument) =>
        Assert.Equal(argument, ParseAssert.Command<ExpnCommand>(line).Argument);

    [Theory]
    [InlineData("VRFY")]
    [InlineData("EXPN")]
    [InlineData("VRFY a\u0007b")]
    public void Vrfy_and_expn_without_argument_get_501(string line) =>
        ParseAssert.Reply("501 5.5.4", ParseAssert.Refused(line));

    [Theory]
    [InlineData("HELP", null)]
    [InlineData("help", null)]
    [InlineData("HELP MAIL", "MAIL")]
    public void Help_has_an_optional_topic(string line, string? topic) =>
        Assert.Equal(topic, ParseAssert.Command<HelpCommand>(line).Topic);

    [Theory]
    [InlineData("AUTH PLAIN", "PLAIN", null)]
    [InlineData("auth plain", "PLAIN", null)]
    [InlineData("AUTH PLAIN AHVzZXIAcGFzcw==", "PLAIN", "AHVzZXIAcGFzcw==")]
    [InlineData("AUTH PLAIN =", "PLAIN", "=")]
    [InlineData("AUTH login", "LOGIN", null)]
    [InlineData("AUTH cram-md5", "CRAM-MD5", null)]
    [InlineData("AUTH xoauth2 dXNlcj0=", "XOAUTH2", "dXNlcj0=")]
    [InlineData("AUTH SCRAM-SHA-256-PLUS", "SCRAM-SHA-256-PLUS", null)]
    public void Auth_upper_cases_the_mechanism_and_keeps_the_response(string line, string mechanism, string? response)
    {
        AuthCommand command = ParseAssert.Command<AuthCommand>(line);
        Assert.Equal(mechanism, command.Mechanism);
        Assert.Equal(response, command.InitialResponse);
    }

    [Theory]
    [InlineData("AUTH")]
    [InlineData("AUTH PL@IN")]
    [InlineData("AUTH ABCDEFGHIJKLMNOPQRSTU")]
    [InlineData("AUTH PLAIN not*base64")]
    [InlineData("AUTH PLAIN abc def")]
    public void Malformed_auth_gets_501(string line) =>
        ParseAssert.Reply("501 5.5.4", ParseAssert.Refused(line));

    [Fact]
    public void Auth_never_shows_the_initial_response_in_its_text()
    {
        AuthCommand command = ParseAssert.Command<AuthCommand>("AUTH PLAIN AHVzZXIAcGFzcw==");
        Assert.DoesNotContain("AHVzZXIAcGFzcw", command.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("XYZZY")]
    [InlineData("MAILFROM:<a@b.example>")]
    [InlineData("MAIL\tFROM:<a@b.example>")]
    [InlineData(" MAIL FROM:<a@b.example>")]
    [InlineData("DAT")]
    [InlineData("DATAX")]
    [InlineData("STARTTL")]
    [InlineData("TURN")]
    [InlineData("GET / HTTP/1.1")]
    [InlineData("MAİL FROM:<a@b.example>")]
    [InlineData("DATA\r")]
    public void Unknown_verb_gets_500(string line) =>
        ParseAssert.Reply("500 5.5.2", ParseAssert.Refused(line));
}
