using EmailPipeline.Smtp.Parsing;

namespace EmailPipeline.Smtp.Tests.Parsing;

public sealed class RcptCommandTests
{
    [Theory]
    [InlineData("RCPT TO:<user@example.com>", "user@example.com")]
    [InlineData("rcpt to:<user@example.com>", "user@example.com")]
    [InlineData("RCPT TO: <user@example.com>", "user@example.com")]
    [InlineData("RCPT TO:<\"a b\"@example.com>", "\"a b\"@example.com")]
    [InlineData("RCPT TO:<\"\\\"quoted\\\"\"@x.test>", "\"\\\"quoted\\\"\"@x.test")]
    [InlineData("RCPT TO:<user@[192.0.2.1]>", "user@[192.0.2.1]")]
    [InlineData("RCPT TO:<@a.example,@b.example:user@c.example>", "user@c.example")]
    [InlineData("RCPT TO:<postmaster@example.com>", "postmaster@example.com")]
    public void Rcpt_parses_the_forward_path(string line, string address)
    {
        RcptCommand command = ParseAssert.Command<RcptCommand>(line);
        Assert.False(command.IsBarePostmaster);
        Assert.Equal(address, command.ForwardPath.ToString());
        Assert.Same(RcptParameters.None, command.Parameters);
    }

    [Theory]
    [InlineData("RCPT TO:<Postmaster>")]
    [InlineData("RCPT TO:<postmaster>")]
    [InlineData("rcpt to:<POSTMASTER>")]
    [InlineData("RCPT TO: <PostMaster> NOTIFY=NEVER")]
    public void Rcpt_to_bare_postmaster_has_no_forward_path(string line)
    {
        RcptCommand command = ParseAssert.Command<RcptCommand>(line);
        Assert.True(command.IsBarePostmaster);
        Assert.Null(command.ForwardPath);
    }

    [Fact]
    public void Rcpt_with_utf8_path_is_international()
    {
        RcptCommand command = ParseAssert.Command<RcptCommand>("RCPT TO:<用户@例子.广告>");
        Assert.False(command.IsBarePostmaster);
        Assert.True(command.ForwardPath.IsInternational);
        Assert.Equal("xn--fsqu00a.xn--4rr70v", command.ForwardPath.Domain.Ascii);
    }

    [Theory]
    [InlineData("RCPT")]
    [InlineData("RCPT TO")]
    [InlineData("RCPT TO:")]
    [InlineData("RCPT FROM:<user@example.com>")]
    [InlineData("RCPT TO:user@example.com")]
    [InlineData("RCPT TO:<user@example.com>x")]
    public void Rcpt_without_angle_bracketed_path_gets_501_syntax(string line) =>
        ParseAssert.Reply("501 5.5.4", ParseAssert.Refused(line));

    [Theory]
    [InlineData("RCPT TO:<>")]
    [InlineData("RCPT TO:<user>")]
    [InlineData("RCPT TO:<postmaster@>")]
    [InlineData("RCPT TO:<\"postmaster\">")]
    [InlineData("RCPT TO:<@a.example:postmaster>")]
    [InlineData("RCPT TO:<user@example..com>")]
    [InlineData("RCPT TO:<user.@example.com>")]
    [InlineData("RCPT TO:<user@-example.com>")]
    [InlineData("RCPT TO:<user@example.com")]
    [InlineData("RCPT TO:<user@[999.0.0.1]>")]
    public void Rcpt_with_bad_address_gets_501_5_1_3(string line)
    {
        var reply = ParseAssert.Refused(line);
        ParseAssert.Reply("501 5.1.3", reply);
        Assert.Equal("Bad recipient address syntax", reply.Text);
    }

    [Fact]
    public void Rcpt_with_too_long_domain_gets_501_5_1_3() =>
        ParseAssert.Reply("501 5.1.3", ParseAssert.Refused($"RCPT TO:<user@{new string('a', 64)}.example>"));

    [Theory]
    [InlineData("NOTIFY=NEVER", NotifyParameter.Never)]
    [InlineData("NOTIFY=never", NotifyParameter.Never)]
    [InlineData("NOTIFY=SUCCESS", NotifyParameter.Success)]
    [InlineData("NOTIFY=FAILURE,DELAY", NotifyParameter.Failure | NotifyParameter.Delay)]
    [InlineData("NOTIFY=success,failure,delay", NotifyParameter.Success | NotifyParameter.Failure | NotifyParameter.Delay)]
    [InlineData("NOTIFY=FAILURE,FAILURE", NotifyParameter.Failure)]
    public void Rcpt_notify_parameter_is_a_set_of_flags(string parameter, NotifyParameter notify) =>
        Assert.Equal(notify, ParseAssert.Command<RcptCommand>($"RCPT TO:<a@b.example> {parameter}").Parameters.Notify);

    [Theory]
    [InlineData("ORCPT=rfc822;user@example.com", "rfc822;user@example.com")]
    [InlineData("ORCPT=RFC822;user+2Btag@example.com", "RFC822;user+tag@example.com")]
    [InlineData("ORCPT=rfc822;+22a+20b+22@example.com", "rfc822;\"a b\"@example.com")]
    [InlineData("ORCPT=utf-8;user\\x{540D}@example.com", "utf-8;user\\x{540D}@example.com")]
    public void Rcpt_orcpt_parameter_is_xtext_decoded(string parameter, string expected) =>
        Assert.Equal(expected, ParseAssert.Command<RcptCommand>($"RCPT TO:<a@b.example> {parameter}").Parameters.OriginalRecipient);

    [Fact]
    public void Rcpt_parses_both_dsn_parameters_together()
    {
        RcptParameters p = ParseAssert.Command<RcptCommand>("RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.example").Parameters;
        Assert.Equal(NotifyParameter.Success | NotifyParameter.Failure, p.Notify);
        Assert.Equal("rfc822;a@b.example", p.OriginalRecipient);
    }

    [Theory]
    [InlineData("XFOO")]
    [InlineData("SIZE=10")]
    [InlineData("BODY=8BITMIME")]
    [InlineData("NOTIFY=NEVER X-OTHER=1")]
    public void Rcpt_with_unknown_parameter_gets_555(string parameters) =>
        ParseAssert.Reply("555 5.5.4", ParseAssert.Refused($"RCPT TO:<a@b.example> {parameters}"));

    [Theory]
    [InlineData("NOTIFY=NEVER NOTIFY=NEVER")]
    [InlineData("ORCPT=rfc822;a@b.example orcpt=rfc822;c@d.example")]
    public void Rcpt_with_duplicate_parameter_gets_501(string parameters)
    {
        var reply = ParseAssert.Refused($"RCPT TO:<a@b.example> {parameters}");
        ParseAssert.Reply("501 5.5.4", reply);
        Assert.Equal("Duplicate parameter", reply.Text);
    }

    [Theory]
    [InlineData("NOTIFY", "Bad NOTIFY parameter value")]
    [InlineData("NOTIFY=NEVER,SUCCESS", "Bad NOTIFY parameter value")]
    [InlineData("NOTIFY=DELAY,NEVER", "Bad NOTIFY parameter value")]
    [InlineData("NOTIFY=ALWAYS", "Bad NOTIFY parameter value")]
    [InlineData("NOTIFY=SUCCESS,", "Bad NOTIFY parameter value")]
    [InlineData("NOTIFY=,SUCCESS", "Bad NOTIFY parameter value")]
    [InlineData("ORCPT", "Bad ORCPT parameter value")]
    [InlineData("ORCPT=user@example.com", "Bad ORCPT parameter value")]
    [InlineData("ORCPT=;user@example.com", "Bad ORCPT parameter value")]
    [InlineData("ORCPT=rfc822;", "Bad ORCPT parameter value")]
    [InlineData("ORCPT=rfc(822);user@example.com", "Bad ORCPT parameter value")]
    [InlineData("ORCPT=rfc822;bad+zz", "Bad ORCPT parameter value")]
    [InlineData("NOTIFY=", "Bad parameter syntax")]
    [InlineData("ORCPT=rfc822;a=b", "Bad parameter syntax")]
    public void Rcpt_with_bad_parameter_value_gets_501_with_specific_text(string parameters, string text)
    {
        var reply = ParseAssert.Refused($"RCPT TO:<a@b.example> {parameters}");
        ParseAssert.Reply("501 5.5.4", reply);
        Assert.Equal(text, reply.Text);
    }

    [Theory]
    [InlineData("ORCPT=rfc822;x@example.com+0D+0ABcc:+20victim@example.org")] // a header field smuggled into our DSN
    [InlineData("ORCPT=rfc822;x+0A@example.com")]
    [InlineData("ORCPT=rfc822;x+00@example.com")]
    [InlineData("ORCPT=rfc822;x+1B[2J@example.com")] // a terminal escape for whoever reads the queue
    [InlineData("ORCPT=rfc822;x+7F@example.com")]
    [InlineData("ORCPT=utf-8;x+C2+85@example.com")] // NEL, a C1 line break
    public void An_orcpt_carrying_control_characters_into_a_dsn_is_refused_501(string parameter)
    {
        var reply = ParseAssert.Refused($"RCPT TO:<a@b.example> {parameter}");
        ParseAssert.Reply("501 5.5.4", reply);
        Assert.Equal("Bad ORCPT parameter value", reply.Text);
    }

    [Fact]
    public void Orcpt_longer_than_500_characters_gets_501() =>
        ParseAssert.Reply("501 5.5.4", ParseAssert.Refused($"RCPT TO:<a@b.example> ORCPT=rfc822;{new string('a', 494)}"));
}
