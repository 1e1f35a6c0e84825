using EmailPipeline.Contracts;
using MimeKit;

namespace EmailPipeline.Delivery.Smtp;

/// <summary>
/// How a message's content goes to one peer: the BODY parameter of MAIL FROM, whether it must first be converted
/// (and to what), and whether it goes with BDAT (RFC 3030) instead of DATA.
/// <list type="bullet">
/// <item>8-bit content (the request says BODY=8BITMIME, or any body byte is 0x80 or above) to a peer with
/// 8BITMIME: unchanged, with BODY=8BITMIME. RFC 6152 §3: the parameter describes the content as received, whatever
/// its MIME parts declare.</item>
/// <item>BINARYMIME to a peer with BINARYMIME and CHUNKING: unchanged, BODY=BINARYMIME, BDAT. To a peer with only
/// 8BITMIME: converted for 8 bit (MimeKit's Prepare), BODY=8BITMIME.</item>
/// <item>8-bit or binary content to a peer without 8BITMIME: converted to 7 bit, no BODY parameter.</item>
/// <item>7-bit content: unchanged, no BODY parameter.</item>
/// </list>
/// Pure.
/// </summary>
public readonly record struct SmtpBodyPlan(string? BodyParameter, EncodingConstraint? ConvertTo, bool Bdat)
{
    public static SmtpBodyPlan For(BodyType requested, ReadOnlySpan<byte> content, SmtpPeerCapabilities peer)
    {
        bool eightBitMime = peer.Has(SmtpPeerExtensions.EightBitMime);
        if (requested == BodyType.BinaryMime)
        {
            if (peer.Has(SmtpPeerExtensions.BinaryMime | SmtpPeerExtensions.Chunking))
            {
                return new SmtpBodyPlan("BINARYMIME", null, true);
            }

            return eightBitMime ? new SmtpBodyPlan("8BITMIME", EncodingConstraint.EightBit, false) : new SmtpBodyPlan(null, EncodingConstraint.SevenBit, false);
        }

        if (requested == BodyType.EightBitMime || HasEightBitBody(content))
        {
            return eightBitMime ? new SmtpBodyPlan("8BITMIME", null, false) : new SmtpBodyPlan(null, EncodingConstraint.SevenBit, false);
        }

        return new SmtpBodyPlan(null, null, false);
    }

    /// <summary>
    /// BDAT when the plan needs it, or when the payload does not end with CRLF and the peer offers CHUNKING: DATA
    /// would have to add the CRLF, BDAT carries the bytes exactly.
    /// </summary>
    public bool UsesBdat(ReadOnlySpan<byte> payload, SmtpPeerCapabilities peer) =>
        Bdat || (!DotStuffing.EndsWithLine(payload) && peer.Has(SmtpPeerExtensions.Chunking));

    /// <summary>Whether any byte after the header/body separator is 0x80 or above.</summary>
    public static bool HasEightBitBody(ReadOnlySpan<byte> content)
    {
        int separator = content.IndexOf("\r\n\r\n"u8);
        int bareLf = content.IndexOf("\n\n"u8);
        int start = separator < 0 ? bareLf : bareLf < 0 ? separator : Math.Min(separator, bareLf);
        if (start < 0)
        {
            return false;
        }

        return content[start..].IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0;
    }
}
