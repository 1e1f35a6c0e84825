using System.Text;
using EmailPipeline.Contracts;

namespace EmailPipeline.Policy.Tests.Outbound;

/// <summary>Submitted messages as the ingress hands them to Policy, and the bytes it queues afterwards.</summary>
internal static class Submissions
{
    public const string Plain = """
        From: Alice Example <alice@example.com>
        To: Bob <bob@example.net>, carol@example.org
        Subject: Quarterly numbers
        Date: Mon, 23 Nov 2026 13:00:00 +0000
        Message-ID: <20261123130000.1@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        Hello Bob,

        the numbers are attached.   Trailing spaces here:   
        Ünïcödé in an 8bit body.

        -- 
        Alice

        """;

    /// <summary>The text with every line ending made CRLF, as SMTP carries it.</summary>
    public static byte[] Crlf(string text) => Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"));

    public static CheckMessage Check(string content, string? user = "alice@example.com", string sender = "alice@example.com", string id = "01JTESTMESSAGE") =>
        Check(Crlf(content), user, sender, id);

    public static CheckMessage Check(byte[] content, string? user = "alice@example.com", string sender = "alice@example.com", string id = "01JTESTMESSAGE") => new()
    {
        MessageId = id,
        Envelope = new Envelope(sender, [new EnvelopeRecipient("bob@example.net", DsnNotify.Default, null)], null, DsnReturn.Unspecified, BodyType.EightBitMime, false, null),
        Session = new SessionFacts("192.0.2.10", 50123, "laptop.example.com", user is null ? "mx" : "submission", user is null ? "mx" : "submission",
            "TLSv1.3", "TLS_AES_256_GCM_SHA384", user, user is null ? null : "PLAIN"),
        Content = content,
    };

    /// <summary>
    /// What the ingress queues, byte for byte as services/Ingress/Queueing/MessageDraft.Assemble builds it: the
    /// policy's headers, then its Received: header (the shape ReceivedHeader.Build gives), then the content
    /// exactly as received.
    /// </summary>
    public static byte[] Assemble(PolicyVerdict verdict, CheckMessage check)
    {
        byte[] received = Encoding.UTF8.GetBytes(
            "Received: from laptop.example.com (unknown [192.0.2.10])\r\n" +
            $"\tby mx1.example.com (EmailPipeline) with ESMTPSA (TLSv1.3 cipher TLS_AES_256_GCM_SHA384) id {check.MessageId}\r\n" +
            "\tfor <bob@example.net>; Mon, 23 Nov 2026 13:00:01 +0000\r\n");
        return [.. Encoding.UTF8.GetBytes(verdict.HeadersToPrepend), .. received, .. check.Content];
    }
}
