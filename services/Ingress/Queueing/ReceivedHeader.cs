using System.Globalization;
using System.Net;
using System.Text;

namespace EmailPipeline.Ingress.Queueing;

/// <summary>
/// Builds the trace header RFC 5321 §4.4 asks every SMTP server to prepend, with the protocol keyword of
/// RFC 3848 / RFC 6531 (ESMTP, ESMTPS, ESMTPA, ESMTPSA, UTF8SMTP…) and the TLS facts as a comment.
/// </summary>
internal static class ReceivedHeader
{
    public static byte[] Build(
        string heloName,
        IPAddress clientAddress,
        string hostName,
        bool extended,
        string? tlsProtocol,
        string? tlsCipher,
        bool authenticated,
        bool smtpUtf8,
        string queueId,
        string? singleRecipient,
        DateTimeOffset receivedAt)
    {
        string protocol = (smtpUtf8 ? "UTF8SMTP" : extended ? "ESMTP" : "SMTP")
            + (tlsProtocol is not null ? "S" : "")
            + (authenticated ? "A" : "");
        string address = clientAddress.IsIPv4MappedToIPv6 ? clientAddress.MapToIPv4().ToString() : clientAddress.ToString();
        string literal = clientAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !clientAddress.IsIPv4MappedToIPv6
            ? $"IPv6:{address}"
            : address;

        var sb = new StringBuilder(256);
        sb.Append("Received: from ").Append(Sanitize(heloName)).Append(" (unknown [").Append(literal).Append("])\r\n");
        sb.Append("\tby ").Append(hostName).Append(" (EmailPipeline) with ").Append(protocol);
        if (tlsProtocol is not null)
        {
            sb.Append(" (").Append(tlsProtocol).Append(" cipher ").Append(tlsCipher ?? "unknown").Append(')');
        }

        sb.Append(" id ").Append(queueId);
        if (singleRecipient is not null)
        {
            // Only for one recipient: listing several would disclose Bcc recipients to each other.
            sb.Append("\r\n\tfor <").Append(singleRecipient).Append('>');
        }

        sb.Append("; ").Append(receivedAt.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture)).Append("\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The HELO argument is client input: keep only what cannot break the header's structure.</summary>
    private static string Sanitize(string helo)
    {
        var sb = new StringBuilder(helo.Length);
        foreach (char c in helo)
        {
            if (c is > ' ' and <= '~' and not '(' and not ')' and not '\\' and not ';' and not '<' and not '>')
            {
                sb.Append(c);
            }
        }

        return sb.Length == 0 ? "unknown" : sb.ToString(0, Math.Min(sb.Length, 255));
    }
}
