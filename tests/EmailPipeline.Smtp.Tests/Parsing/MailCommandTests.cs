using EmailPipeline.Smtp.Parsing;

namespace EmailPipeline.Smtp.Tests.Parsing;

public sealed class MailCommandTests
{
    [Theory]
    [InlineData("MAIL FROM:<user@example.com>", "user@example.com")]
    [InlineData("mail from:<user@example.com>", "user@example.com")]
    [InlineData("Mail From:<User@Example.COM>", "User@Example.COM")]
    [InlineData("MAIL FROM: <user@example.com>", "user@example.com")]
    [InlineData("MAIL  FROM:<user@example.com>", "user@example.com")]
    [InlineData("MAIL FROM:<user@example.com>   ", "user@example.com")]
    [InlineData("MAIL FROM:<\"john doe\"@example.com>", "\"john doe\"@example.com")]
    [InlineData("MAIL FROM:<\"a>b\"@example.com>", "\"a>b\"@example.com")]
    [InlineData("MAIL FROM:<user@[192.0.2.1]>", "user@[192.0.2.1]")]
    [InlineData("MAIL FROM:<user@[IPv6:2001:db8::1]>", "user@[IPv6:2001:db8::1]")]
    public void Mail_parses_the_reverse_path(string line, string address)
    {
        MailCommand command = ParseAssert.Command<MailCommand>(line);
        Assert.Equal(address, command.ReversePath?.ToString());
        Assert.Same(MailParameters.None, command.Parameters);
    }

    [Theory]
    [InlineData("MAIL FROM:<>")]
    [InlineData("MAIL FROM: <>")]
    [InlineData("mail from:<> SIZE=10")]
    public void Mail_from_empty_path_is_the_null_sender(string line)
    {
        MailCommand command = ParseAssert.Command<MailCommand>(line);
        Assert.Null(command.ReversePath);
        Assert.True(command.IsNullSender);
    }

    [Theory]
    [InlineData("MAIL FROM:<@a.example,@b.example:user@c.example>")]
    [InlineData("MAIL FROM:<@a.example:user@c.example>")]
    [InlineData("MAIL FROM:<@[192.0.2.1]:user@c.example>")]
    [InlineData("MAIL FROM:<@[IPv6:2001:db8::1],@b.example:user@c.example>")]
    public void Mail_source_route_is_accepted_and_dropped(string line) =>
        Assert.Equal("user@c.example", ParseAssert.Command<MailCommand>(line).ReversePath?.ToString());

    [Fact]
    public void Mail_with_utf8_path_is_parsed_for_the_session_to_judge()
    {
        MailCommand command = ParseAssert.Command<MailCommand>("MAIL FROM:<用户@例子.广告> SMTPUTF8");
        Assert.NotNull(command.ReversePath);
        Assert.True(command.ReversePath.IsInternational);
        Assert.True(command.Parameters.SmtpUtf8);
    }

    [Theory]
    [InlineData("MAIL")]
    [InlineData("MAIL FROM")]
    [InlineData("MAIL FROM:")]
    [InlineData("MAIL TO:<user@example.com>")]
    [InlineData("MAIL FROM:user@example.com")]
    [InlineData("MAIL FROM:  <user@example.com>")]
    [InlineData("MAIL FROM :<user@example.com>")]
    [InlineData("MAIL FROM:<user@example.com>junk")]
    [InlineData("MAIL FROM:<user@example.com>SIZE=10")]
    [InlineData("MAIL FROM:<<user@example.com>>")]
    public void Mail_without_angle_bracketed_path_gets_501_syntax(string line)
    {
        var reply = ParseAssert.Refused(line);
        ParseAssert.Reply("501 5.5.4", reply);
    }

    [Theory]
    [InlineData("MAIL FROM:<user>")]
    [InlineData("MAIL FROM:<user@>")]
    [InlineData("MAIL FROM:<@example.com>")]
    [InlineData("MAIL FROM:<user@example..com>")]
    [InlineData("MAIL FROM:<.user@example.com>")]
    [InlineData("MAIL FROM:<user@example.com.>")]
    [InlineData("MAIL FROM:<user@example.com")]
    [InlineData("MAIL FROM:<\"unterminated@example.com>")]
    [InlineData("MAIL FROM:<us er@example.com>")]
    [InlineData("MAIL FROM:<@a.example user@c.example>")]
    [InlineData("MAIL FROM:<@a..example:user@c.example>")]
    [InlineData("MAIL FROM:<@a.example,b.example:user@c.example>")]
    [InlineData("MAIL FROM:<@[192.0.2.1:user@c.example>")]
    [InlineData("MAIL FROM:<@:user@c.example>")]
    [InlineData("MAIL FROM:<user@[tag:content]>")]
    public void Mail_with_bad_address_gets_501_5_1_7(string line)
    {
        var reply = ParseAssert.Refused(line);
        ParseAssert.Reply("501 5.1.7", reply);
        Assert.Equal("Bad sender address syntax", reply.Text);
    }

    [Fact]
    public void Mail_with_too_long_local_part_gets_501_5_1_7() =>
        ParseAssert.Reply("501 5.1.7", ParseAssert.Refused($"MAIL FROM:<{new string('a', 65)}@example.com>"));

    [Fact]
    public void Mail_parses_every_parameter_it_supports()
    {
        MailCommand command = ParseAssert.Command<MailCommand>(
            "MAIL FROM:<user@example.com> SIZE=12345 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159+2Bx AUTH=user+2Btag@example.com");
        MailParameters p = command.Parameters;
        Assert.Equal(12345, p.Size);
        Assert.Equal(BodyParameter.EightBitMime, p.Body);
        Assert.True(p.SmtpUtf8);
        Assert.Equal(DsnReturnParameter.Headers, p.Return);
        Assert.Equal("QQ314159+x", p.EnvelopeId);
        Assert.Equal("user+tag@example.com", p.Auth);
    }

    [Theory]
    [InlineData("size=0", 0L)]
    [InlineData("SIZE=26214400", 26_214_400L)]
    [InlineData("Size=9223372036854775807", long.MaxValue)]
    public void Mail_size_parameter_is_read_as_octets(string parameter, long size) =>
        Assert.Equal(size, ParseAssert.Command<MailCommand>($"MAIL FROM:<a@b.example> {parameter}").Parameters.Size);

    [Theory]
    [InlineData("BODY=7BIT", BodyParameter.SevenBit)]
    [InlineData("body=8bitmime", BodyParameter.EightBitMime)]
    [InlineData("BODY=BinaryMime", BodyParameter.BinaryMime)]
    public void Mail_body_parameter_is_case_insensitive(string parameter, BodyParameter body) =>
        Assert.Equal(body, ParseAssert.Command<MailCommand>($"MAIL FROM:<a@b.example> {parameter}").Parameters.Body);

    [Theory]
    [InlineData("RET=FULL", DsnReturnParameter.Full)]
    [InlineData("ret=hdrs", DsnReturnParameter.Headers)]
    public void Mail_ret_parameter_is_case_insensitive(string parameter, DsnReturnParameter ret) =>
        Assert.Equal(ret, ParseAssert.Command<MailCommand>($"MAIL FROM:<a@b.example> {parameter}").Parameters.Return);

    [Theory]
    [InlineData("AUTH=<>", "<>")]
    [InlineData("AUTH=e+3Dmc2@example.com", "e=mc2@example.com")]
    public void Mail_auth_parameter_is_xtext_decoded(string parameter, string auth) =>
        Assert.Equal(auth, ParseAssert.Command<MailCommand>($"MAIL FROM:<a@b.example> {parameter}").Parameters.Auth);

    [Fact]
    public void Mail_parameters_may_be_separated_by_several_spaces() =>
        Assert.Equal(10, ParseAssert.Command<MailCommand>("MAIL FROM:<a@b.example>   SIZE=10  BODY=7BIT").Parameters.Size);

    [Theory]
    [InlineData("XFOO")]
    [InlineData("XFOO=bar")]
    [InlineData("NOTIFY=NEVER")]
    [InlineData("ORCPT=rfc822;a@b.example")]
    [InlineData("SIZE=10 X-UNKNOWN=1")]
    public void Mail_with_unknown_parameter_gets_555(string parameters) =>
        ParseAssert.Reply("555 5.5.4", ParseAssert.Refused($"MAIL FROM:<a@b.example> {parameters}"));

    [Theory]
    [InlineData("SIZE=1 SIZE=2")]
    [InlineData("BODY=7BIT body=8BITMIME")]
    [InlineData("SMTPUTF8 SMTPUTF8")]
    [InlineData("RET=FULL RET=HDRS")]
    [InlineData("ENVID=a ENVID=b")]
    [InlineData("AUTH=<> AUTH=<>")]
    public void Mail_with_duplicate_parameter_gets_501(string parameters)
    {
        var reply = ParseAssert.Refused($"MAIL FROM:<a@b.example> {parameters}");
        ParseAssert.Reply("501 5.5.4", reply);
        Assert.Equal("Duplicate parameter", reply.Text);
    }

    [Theory]
    [InlineData("SIZE", "Bad SIZE parameter value")]
    [InlineData("SIZE=", "Bad parameter syntax")]
    [InlineData("SIZE=abc", "Bad SIZE parameter value")]
    [InlineData("SIZE=-1", "Bad SIZE parameter value")]
    [InlineData("SIZE=1e6", "Bad SIZE parameter value")]
    [InlineData("SIZE=9223372036854775808", "Bad SIZE parameter value")]
    [InlineData("BODY", "Bad BODY parameter value")]
    [InlineData("BODY=8BIT", "Bad BODY parameter value")]
    [InlineData("SMTPUTF8=yes", "SMTPUTF8 takes no value")]
    [InlineData("RET", "Bad RET parameter value")]
    [InlineData("RET=HEADERS", "Bad RET parameter value")]
    [InlineData("ENVID", "Bad ENVID parameter value")]
    [InlineData("ENVID=bad+zz", "Bad ENVID parameter value")]
    [InlineData("ENVID=+0A", "Bad ENVID parameter value")]
    [InlineData("AUTH", "Bad AUTH parameter value")]
    [InlineData("AUTH=+4", "Bad AUTH parameter value")]
    [InlineData("=10", "Bad parameter syntax")]
    [InlineData("-SIZE=10", "Bad parameter syntax")]
    [InlineData("SI_ZE=10", "Bad parameter syntax")]
    [InlineData("SIZE==10", "Bad parameter syntax")]
    [InlineData("SIZE=1\u00e9", "Bad parameter syntax")]
    public void Mail_with_bad_parameter_value_gets_501_with_specific_text(string parameters, string text)
    {
        var reply = ParseAssert.Refused($"MAIL FROM:<a@b.example> {parameters}");
        ParseAssert.Reply("501 5.5.4", reply);
        Assert.Equal(text, reply.Text);
    }

    [Fact]
    public void Envid_of_100_characters_is_accepted_and_101_refused()
    {
        Assert.Equal(100, ParseAssert.Command<MailCommand>($"MAIL FROM:<a@b.example> ENVID={new string('x', 100)}").Parameters.EnvelopeId?.Length);
        ParseAssert.Reply("501 5.5.4", ParseAssert.Refused($"MAIL FROM:<a@b.example> ENVID={new string('x', 101)}"));
    }

    [Fact]
    public void Envid_counts_decoded_characters() =>
        Assert.Equal(100, ParseAssert.Command<MailCommand>($"MAIL FROM:<a@b.example> ENVID={string.Concat(Enumerable.Repeat("+2B", 100))}").Parameters.EnvelopeId?.Length);
}
