using System.Globalization;
using System.Text;
using EmailPipeline.Ingress.IntegrationTests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace EmailPipeline.Ingress.IntegrationTests;

/// <summary>
/// Real SMTP clients (swaks, Python's smtplib, MailKit) against the running ingress and RabbitMQ. Each test
/// checks the replies the client saw and the exact bytes in the broker: the content as sent plus one
/// Received: header on top.
/// </summary>
[Collection(IngressCollection.Name)]
public sealed class RealClientTests(IngressFixture ingress)
{
    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string WriteTemp(string name, byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ep-{Guid.NewGuid():N}-{name}");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string QueueIdFrom(string transcript)
    {
        int at = transcript.IndexOf("Ok: queued as ", StringComparison.Ordinal);
        Assert.True(at >= 0, "no 'queued as' in:\n" + transcript);
        return transcript.Substring(at + "Ok: queued as ".Length, 26);
    }

    private async Task<QueuedMessage> SingleQueuedAsync(string queueId)
    {
        List<QueuedMessage> queued = await ingress.QueuedAsync();
        QueuedMessage message = Assert.Single(queued);
        Assert.Equal(queueId, message.QueueId);
        return message;
    }

    [Fact]
    public async Task Swaks_plain_mx_message_reaches_the_broker_byte_for_byte_with_one_received_header()
    {
        // Dot-stuffed on the wire, with CRLF line ends, sent exactly as written (--no-data-fixup).
        string wire = "From: sender@remote.test\r\nTo: user@example.test\r\nSubject: exact bytes\r\n\r\n" +
                      "line one\r\n..a line that starts with a dot\r\n\tindented\r\n\r\nlast\r\n.\r\n";
        byte[] expected = Encoding.ASCII.GetBytes(wire.Replace("\r\n..a", "\r\n.a", StringComparison.Ordinal)[..^3]);
        string file = WriteTemp("plain.eml", Encoding.ASCII.GetBytes(wire));

        var swaks = await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{P(ingress.MxPort)}", "--from", "sender@remote.test",
            "--to", "user@example.test", "--helo", "client.remote.test", "--no-data-fixup", "--data", file]);

        Assert.Equal(0, swaks.ExitCode);
        Assert.Contains("<-  250 2.1.0 Sender ok", swaks.Output, StringComparison.Ordinal);
        Assert.Contains("<-  250 2.1.5 Recipient ok", swaks.Output, StringComparison.Ordinal);
        QueuedMessage message = await SingleQueuedAsync(QueueIdFrom(swaks.Output));
        (string received, byte[] body) = message.SplitReceived();
        Assert.Equal(expected, body);
        Assert.Contains("from client.remote.test (unknown [127.0.0.1])", received, StringComparison.Ordinal);
        Assert.Contains($"by mx.test.internal (EmailPipeline) with ESMTP id {message.QueueId}", received, StringComparison.Ordinal);
        Assert.Contains("for <user@example.test>;", received, StringComparison.Ordinal);
        Assert.Equal("sender@remote.test", message.Sender);
        Assert.Equal(["user@example.test"], message.Recipients);
        Assert.Equal(1, CountOccurrences(Encoding.Latin1.GetString(message.Content), "Received: "));

        // One trace per message: the SMTP transaction's W3C trace context travels with the message.
        string? traceParent = message.Message.GetProperty("traceParent").GetString();
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", traceParent);
    }

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("LOGIN")]
    [InlineData("CRAM-MD5")]
    public async Task Swaks_submission_with_starttls_and_auth_is_queued_as_esmtpsa(string mechanism)
    {
        var swaks = await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{P(ingress.SubmissionPort)}", "--tls",
            "--auth", mechanism, "--auth-user", "alice", "--auth-password", IngressFixture.AlicePassword,
            "--from", "alice@example.test", "--to", "friend@elsewhere.test", "--header", $"Subject: {mechanism} over STARTTLS"]);

        Assert.True(swaks.ExitCode == 0, swaks.All);
        Assert.Contains("<~  235 2.7.0 Authentication successful", swaks.Output, StringComparison.Ordinal);
        QueuedMessage message = await SingleQueuedAsync(QueueIdFrom(swaks.Output));
        (string received, byte[] body) = message.SplitReceived();
        Assert.Equal(ExternalTool.DataFromSwaksTranscript(swaks.Output), body);
        Assert.Contains("with ESMTPSA (TLSv1.", received, StringComparison.Ordinal);
        Assert.Equal("alice", message.Message.GetProperty("session").GetProperty("authenticatedUser").GetString());
        Assert.Equal(mechanism, message.Message.GetProperty("session").GetProperty("authenticationMechanism").GetString());
        Assert.Equal(["friend@elsewhere.test"], message.Recipients);
    }

    [Fact]
    public async Task Swaks_implicit_tls_on_submissions_with_an_attachment_keeps_every_byte()
    {
        var random = new Random(42);
        byte[] attachment = new byte[100 * 1024];
        random.NextBytes(attachment);
        string file = WriteTemp("blob.bin", attachment);

        var swaks = await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{P(ingress.SubmissionsPort)}", "--tls-on-connect",
            "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", IngressFixture.AlicePassword,
            "--from", "someone@alice.test", "--to", "friend@elsewhere.test", "--attach-type", "application/octet-stream", "--attach", $"@{file}"]);

        Assert.True(swaks.ExitCode == 0, swaks.All);
        QueuedMessage message = await SingleQueuedAsync(QueueIdFrom(swaks.Output));
        (_, byte[] body) = message.SplitReceived();
        Assert.Equal(ExternalTool.DataFromSwaksTranscript(swaks.Output), body);
        MimeMessage parsed = MimeMessage.Load(new MemoryStream(body));
        MimePart part = Assert.Single(parsed.Attachments.OfType<MimePart>());
        using var decoded = new MemoryStream();
        part.Content!.DecodeTo(decoded);
        Assert.Equal(attachment, decoded.ToArray());
    }

    [Fact]
    public async Task Python_smtplib_sends_8bitmime_and_the_8bit_bytes_arrive_unchanged()
    {
        const string script = """
            import smtplib, sys
            body = ("From: p@remote.test\r\nTo: user@example.test\r\nSubject: 8bit\r\n"
                    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                    "Grüße aus Köln — naïve café\r\n").encode("utf-8")
            s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.remote.test")
            s.ehlo()
            assert s.has_extn("8bitmime")
            refused = s.sendmail("p@remote.test", ["user@example.test"], body, mail_options=["BODY=8BITMIME"])
            print("refused", refused, flush=True)
            code, msg = s.quit()
            sys.stdout.buffer.write(body)
            sys.stdout.buffer.flush()
            """;
        var python = await ExternalTool.RunAsync("python3", ["-c", script, P(ingress.MxPort)]);

        Assert.True(python.ExitCode == 0, python.All);
        Assert.Contains("refused {}", python.Output, StringComparison.Ordinal);
        QueuedMessage message = Assert.Single(await ingress.QueuedAsync());
        (string received, byte[] body) = message.SplitReceived();
        Assert.Contains("from py.remote.test", received, StringComparison.Ordinal);
        string sent = python.Output[(python.Output.IndexOf("From: ", StringComparison.Ordinal))..];
        Assert.Equal(Encoding.UTF8.GetBytes(sent), body);
        Assert.Equal("EightBitMime", message.Message.GetProperty("envelope").GetProperty("body").GetString());
    }

    [Fact]
    public async Task Python_smtplib_starttls_login_on_submission()
    {
        const string script = """
            import smtplib, ssl, sys
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
            s.ehlo()
            assert not s.has_extn("auth"), "AUTH must not be offered before TLS"
            s.starttls(context=ctx)
            s.ehlo()
            s.login("bob", sys.argv[2])
            s.sendmail("bob@example.test", ["x@far.test", "y@far.test"], b"Subject: py\r\n\r\nhello\r\n")
            try:
                s.sendmail("alice@example.test", ["x@far.test"], b"Subject: spoof\r\n\r\nno\r\n")
            except smtplib.SMTPSenderRefused as e:
                print("refused", e.smtp_code, e.smtp_error.decode())
            s.quit()
            """;
        var python = await ExternalTool.RunAsync("python3", ["-c", script, P(ingress.SubmissionPort), IngressFixture.BobPassword]);

        Assert.True(python.ExitCode == 0, python.All);
        Assert.Contains("refused 553 5.7.1 Sender address not owned by authenticated user", python.Output, StringComparison.Ordinal);
        QueuedMessage message = Assert.Single(await ingress.QueuedAsync());
        Assert.Equal(["x@far.test", "y@far.test"], message.Recipients);
        (string received, byte[] body) = message.SplitReceived();
        Assert.DoesNotContain("\tfor <", received, StringComparison.Ordinal);
        Assert.Equal("Subject: py\r\n\r\nhello\r\n"u8.ToArray(), body);
    }

    [Fact]
    public async Task MailKit_sends_smtputf8_with_international_addresses()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Ålice", "ålice@例子.测试"));
        message.To.Add(new MailboxAddress("用户", "用户@例子.测试"));
        message.Subject = "Grüße 你好";
        message.Body = new TextPart("plain") { Text = "UTF-8 all the way: 你好, Grüße.\r\n" };

        using var client = new SmtpClient();
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync("127.0.0.1", ingress.SubmissionPort, SecureSocketOptions.StartTls);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.UTF8));
        await client.AuthenticateAsync("alice", IngressFixture.AlicePassword);
        string reply = await client.SendAsync(message);
        await client.DisconnectAsync(true);

        Assert.StartsWith("2.0.0 Ok: queued as ", reply, StringComparison.Ordinal);
        QueuedMessage queued = Assert.Single(await ingress.QueuedAsync());
        Assert.Equal("ålice@例子.测试", queued.Sender);
        Assert.Equal(["用户@例子.测试"], queued.Recipients);
        Assert.True(queued.Message.GetProperty("envelope").GetProperty("smtpUtf8").GetBoolean());
        (string received, byte[] body) = queued.SplitReceived();
        Assert.Contains("with UTF8SMTPSA", received, StringComparison.Ordinal);
        MimeMessage parsed = MimeMessage.Load(new MemoryStream(body));
        Assert.Equal("Grüße 你好", parsed.Subject);
        Assert.Equal("ålice@例子.测试", parsed.From.Mailboxes.Single().Address);
    }

    [Fact]
    public async Task MailKit_sends_with_bdat_chunking_and_the_bytes_arrive_unchanged()
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@example.test"));
        message.To.Add(MailboxAddress.Parse("someone@far.test"));
        message.Subject = "chunked";
        var builder = new BodyBuilder { TextBody = "Line\r\n.\r\n..two dots survive BDAT untouched\r\n" };
        builder.Attachments.Add("data.bin", Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray());
        message.Body = builder.ToMessageBody();
        message.Prepare(EncodingConstraint.SevenBit);

        var log = new MemoryStream();
        using var client = new ChunkingSmtpClient(new MailKit.ProtocolLogger(log, leaveOpen: true));
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync("127.0.0.1", ingress.SubmissionsPort, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync("alice", IngressFixture.AlicePassword);
        await client.SendAsync(message);
        await client.DisconnectAsync(true);

        string transcript = Encoding.UTF8.GetString(log.ToArray());
        Assert.Contains("C: BDAT ", transcript, StringComparison.Ordinal);
        QueuedMessage queued = Assert.Single(await ingress.QueuedAsync());
        (_, byte[] body) = queued.SplitReceived();
        var expected = new MemoryStream();
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        options.EnsureNewLine = true;
        options.HiddenHeaders.Add(HeaderId.Bcc);
        options.HiddenHeaders.Add(HeaderId.ResentBcc);
        options.HiddenHeaders.Add(HeaderId.ContentLength);
        await message.WriteToAsync(options, expected);
        Assert.Equal(expected.ToArray(), body);
    }

    private static int CountOccurrences(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    /// <summary>MailKit sends with BDAT when the server offers CHUNKING and the client prefers binary data.</summary>
    private sealed class ChunkingSmtpClient(MailKit.IProtocolLogger logger) : SmtpClient(logger)
    {
        protected override bool PreferSendAsBinaryData => true;
    }
}
