using System.Buffers;

namespace EmailPipeline.Delivery.Smtp;

/// <summary>
/// The DATA payload for SMTP and LMTP (RFC 5321 §4.5.2): the accepted bytes with a dot added at the start of every
/// line that begins with one, then the terminating ".CRLF". Nothing else changes, with two exceptions that content
/// from our ingress never meets: content that does not end with CRLF gets one (DATA cannot carry it otherwise; BDAT
/// can, see <see cref="SmtpBodyPlan"/>), and a bare CR or LF goes out as CRLF (the ingress rejects or normalises
/// them), so that no arrangement of line endings can end the data early at a lenient peer (SMTP smuggling).
/// </summary>
public static class DotStuffing
{
    public static byte[] Encode(ReadOnlySpan<byte> content)
    {
        var output = new ArrayBufferWriter<byte>(content.Length + (content.Length / 256) + 8);
        ReadOnlySpan<byte> rest = content;
        bool lineStart = true;
        while (!rest.IsEmpty)
        {
            if (lineStart && rest[0] == (byte)'.')
            {
                output.Write("."u8);
            }

            int end = rest.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                output.Write(rest);
                lineStart = false;
                break;
            }

            output.Write(rest[..end]);
            output.Write("\r\n"u8);
            bool crlf = rest[end] == (byte)'\r' && end + 1 < rest.Length && rest[end + 1] == (byte)'\n';
            rest = rest[(end + (crlf ? 2 : 1))..];
            lineStart = true;
        }

        if (!lineStart)
        {
            output.Write("\r\n"u8);
        }

        output.Write(".\r\n"u8);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Whether DATA carries <paramref name="content"/> exactly: empty, or ending with CRLF.</summary>
    public static bool EndsWithLine(ReadOnlySpan<byte> content) => content.IsEmpty || content.EndsWith("\r\n"u8);
}
