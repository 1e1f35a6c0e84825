using System.Text;
using System.Text.RegularExpressions;

namespace EmailPipeline.EndToEnd.Tests.Support;

/// <summary>
/// A message submitted to the ingress with a raw SMTP client (<see cref="SmtpWire"/>): the swaks on Debian 12
/// (20201014) has no DSN options, and the DSN tests need MAIL FROM RET/ENVID and RCPT TO NOTIFY/ORCPT.
/// </summary>
public static partial class SmtpSubmission
{
    /// <summary>Sends one transaction and returns the queue id from "250 … queued as &lt;id&gt;".
    /// <paramref name="mailFrom"/> and <paramref name="rcptTo"/> are whole arguments, e.g.
    /// "&lt;a@example.test&gt; RET=HDRS ENVID=e1" and "&lt;b@peer.test&gt; NOTIFY=NEVER".
    /// <paramref name="message"/> uses CRLF line ends and is dot-stuffed here.</summary>
    public static async Task<string> SendAsync(int port, string mailFrom, IEnumerable<string> rcptTo, string message)
    {
        await using SmtpWire smtp = await SmtpWire.ConnectAsync(port);
        string ehlo = await smtp.CommandAsync("EHLO client.remote.test");
        Assert.StartsWith("250", ehlo, StringComparison.Ordinal);
        string mail = await smtp.CommandAsync($"MAIL FROM:{mailFrom}");
        Assert.True(mail.StartsWith("250", StringComparison.Ordinal), $"MAIL FROM:{mailFrom} → {mail}");
        foreach (string rcpt in rcptTo)
        {
            string reply = await smtp.CommandAsync($"RCPT TO:{rcpt}");
            Assert.True(reply.StartsWith("250", StringComparison.Ordinal), $"RCPT TO:{rcpt} → {reply}");
        }

        string data = await smtp.CommandAsync("DATA");
        Assert.StartsWith("354", data, StringComparison.Ordinal);
        var stuffed = new StringBuilder();
        foreach (string line in message.Split("\r\n")[..^1])
        {
            stuffed.Append(line.StartsWith('.') ? "." : "").Append(line).Append("\r\n");
        }

        await smtp.SendAsync(stuffed.Append(".\r\n").ToString());
        string done = await smtp.ReadReplyAsync(TimeSpan.FromSeconds(60));
        Match id = QueuedAs().Match(done);
        Assert.True(done.StartsWith("250", StringComparison.Ordinal) && id.Success, $"end of DATA → {done}");
        await smtp.CommandAsync("QUIT");
        return id.Groups[1].Value;
    }

    /// <summary>A small message with CRLF line ends and a unique Message-ID.</summary>
    public static string Message(string from, string to, string subject, string body) =>
        $"From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@remote.test>\r\n\r\n{body}\r\n";

    [GeneratedRegex(@"queued as (\S+)")]
    private static partial Regex QueuedAs();
}
