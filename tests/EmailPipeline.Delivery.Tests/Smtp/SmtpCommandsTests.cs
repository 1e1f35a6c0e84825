using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Smtp;

namespace EmailPipeline.Delivery.Tests.Smtp;

public sealed class SmtpCommandsTests
{
    private static readonly SmtpPeerCapabilities Everything = SmtpPeerCapabilities.Parse(
        ["mx.test", "PIPELINING", "SIZE 1000", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING", "BINARYMIME", "AUTH PLAIN login", "STARTTLS", "ENHANCEDSTATUSCODES"]);

    private static readonly SmtpPeerCapabilities Nothing = SmtpPeerCapabilities.None;

    private static DeliveryRequested Request() => new()
    {
        MessageId = "m",
        AttemptId = "a",
        Destination = "relay.test",
        Sender = "s@origin.test",
        Recipients = [],
        Content = [],
        EnvelopeId = "id+1=x y",
        Return = DsnReturn.Headers,
        SmtpUtf8 = true,
    };

    [Fact]
    public void Ehlo_keywords_are_read_case_insensitively_with_the_size_and_mechanisms()
    {
        Assert.True(Everything.Has(SmtpPeerExtensions.Pipelining | SmtpPeerExtensions.EightBitMime | SmtpPeerExtensions.Dsn | SmtpPeerExtensions.SmtpUtf8
            | SmtpPeerExtensions.Chunking | SmtpPeerExtensions.BinaryMime | SmtpPeerExtensions.StartTls | SmtpPeerExtensions.Auth | SmtpPeerExtensions.Size));
        Assert.Equal(1000, Everything.MaxSize);
        Assert.Equal(["PLAIN", "LOGIN"], Everything.AuthMechanisms);
        Assert.False(SmtpPeerCapabilities.Parse(["mx.test 8BITMIME"]).Has(SmtpPeerExtensions.EightBitMime)); // the greeting line is not a keyword
    }

    [Fact]
    public void Mail_carries_every_parameter_the_peer_offers()
    {
        Assert.Equal("MAIL FROM:<s@origin.test> SMTPUTF8 SIZE=42 BODY=8BITMIME ENVID=id+2B1+3Dx+20y RET=HDRS", SmtpCommands.MailFrom(Request(), Everything, 42, "8BITMIME"));
    }

    [Fact]
    public void Mail_to_a_bare_peer_has_only_the_body_parameter_it_was_given()
    {
        Assert.Equal("MAIL FROM:<s@origin.test>", SmtpCommands.MailFrom(Request(), Nothing, 42, null));
        Assert.Equal("MAIL FROM:<>", SmtpCommands.MailFrom(Request() with { Sender = "", EnvelopeId = null }, Nothing, 1, null));
    }

    [Theory]
    [InlineData(DsnNotify.Default, null, "RCPT TO:<r@relay.test>")]
    [InlineData(DsnNotify.Never, null, "RCPT TO:<r@relay.test> NOTIFY=NEVER ORCPT=rfc822;r@relay.test")]
    [InlineData(DsnNotify.Success | DsnNotify.Failure | DsnNotify.Delay, "rfc822;Orig+Name@relay.test", "RCPT TO:<r@relay.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;Orig+2BName@relay.test")]
    [InlineData(DsnNotify.Default, "rfc822;first@elsewhere.test", "RCPT TO:<r@relay.test> ORCPT=rfc822;first@elsewhere.test")]
    public void Rcpt_passes_notify_and_the_original_recipient_through(DsnNotify notify, string? orcpt, string expected)
    {
        Assert.Equal(expected, SmtpCommands.RcptTo(new EnvelopeRecipient("r@relay.test", notify, orcpt), Everything));
    }

    [Fact]
    public void Without_dsn_the_peer_gets_no_dsn_parameters()
    {
        Assert.Equal("RCPT TO:<r@relay.test>", SmtpCommands.RcptTo(new EnvelopeRecipient("r@relay.test", DsnNotify.Never, "rfc822;x@y.test"), Nothing));
    }

    [Theory]
    [InlineData("a@b.test", true)]
    [InlineData("a b@c.test", false)]
    [InlineData("a@b.test\r\nRCPT TO:<x@evil.test>", false)]
    [InlineData("", false)]
    public void Only_addresses_that_cannot_inject_a_command_are_sent(string address, bool sendable)
    {
        Assert.Equal(sendable, SmtpCommands.IsSendable(address, nullAllowed: false));
    }

    [Theory]
    [InlineData("250-mx.test", 250, true, "mx.test")]
    [InlineData("354 go ahead", 354, false, "go ahead")]
    [InlineData("250", 250, false, "")]
    public void Reply_lines_parse(string line, int code, bool more, string text)
    {
        Assert.True(SmtpPeerReply.TryParseLine(line, out int c, out bool m, out string t));
        Assert.Equal((code, more, text), (c, m, t));
    }

    [Theory]
    [InlineData("OK fine whatever")]
    [InlineData("25")]
    [InlineData("2500 x")]
    [InlineData("650 x")]
    [InlineData("\u0016\u0003\u0001 tls")]
    public void Garbage_is_not_a_reply(string line)
    {
        Assert.False(SmtpPeerReply.TryParseLine(line, out _, out _, out _));
    }

    [Theory]
    [InlineData(BodyType.SevenBit, "plain", true, true, null, null, false)]
    [InlineData(BodyType.EightBitMime, "plain", true, true, "8BITMIME", null, false)]
    [InlineData(BodyType.SevenBit, "gr\u00fc\u00df", true, true, "8BITMIME", null, false)]
    [InlineData(BodyType.EightBitMime, "plain", false, false, null, "SevenBit", false)]
    [InlineData(BodyType.SevenBit, "gr\u00fc\u00df", false, false, null, "SevenBit", false)]
    [InlineData(BodyType.SevenBit, "plain", false, false, null, null, false)]
    [InlineData(BodyType.BinaryMime, "plain", true, true, "BINARYMIME", null, true)]
    [InlineData(BodyType.BinaryMime, "plain", true, false, "8BITMIME", "EightBit", false)]
    [InlineData(BodyType.BinaryMime, "plain", false, false, null, "SevenBit", false)]
    public void Body_plan_follows_RFC_6152_and_3030(BodyType body, string text, bool eightBitMime, bool binaryMime, string? parameter, string? convert, bool bdat)
    {
        var extensions = (eightBitMime ? SmtpPeerExtensions.EightBitMime : 0) | (binaryMime ? SmtpPeerExtensions.BinaryMime | SmtpPeerExtensions.Chunking : 0);
        SmtpBodyPlan plan = SmtpBodyPlan.For(body, Encoding.UTF8.GetBytes("Subject: x\r\n\r\n" + text + "\r\n"), new SmtpPeerCapabilities(extensions, 0, []));

        Assert.Equal((parameter, convert, bdat), (plan.BodyParameter, plan.ConvertTo?.ToString(), plan.Bdat));
    }
}
