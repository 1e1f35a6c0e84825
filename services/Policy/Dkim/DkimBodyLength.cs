namespace EmailPipeline.Policy.Dkim;

/// <summary>
/// The length of a body after DKIM body canonicalization (RFC 6376 §3.4.3, §3.4.4), to tell whether a signature's l=
/// covers all of it. Content past l= is not signed: anyone may have appended it (§8.2).
/// </summary>
public static class DkimBodyLength
{
    /// <summary><paramref name="message"/> is the whole message; the body starts after the first empty line.</summary>
    public static long Canonical(ReadOnlySpan<byte> message, bool relaxed)
    {
        int start = message.IndexOf("\r\n\r\n"u8);
        ReadOnlySpan<byte> body = start < 0 ? [] : message[(start + 4)..];
        long length = 0;
        long pendingEmptyLines = 0;
        while (!body.IsEmpty)
        {
            int end = body.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = end < 0 ? body : body[..end];
            body = end < 0 ? [] : body[(end + 2)..];
            long lineLength = relaxed ? RelaxedLength(line) : line.Length;
            if (lineLength == 0)
            {
                // Trailing empty lines are removed; inner ones count once a later line has content.
                pendingEmptyLines++;
                continue;
            }

            length += (pendingEmptyLines * 2) + lineLength + 2;
            pendingEmptyLines = 0;
        }

        // Simple: an empty body is one CRLF. Relaxed: an empty body stays empty.
        return length == 0 && !relaxed ? 2 : length;
    }

    // Runs of WSP become one SP; WSP at the end of the line goes.
    private static long RelaxedLength(ReadOnlySpan<byte> line)
    {
        long length = 0;
        bool inSpace = false;
        foreach (byte b in line)
        {
            if (b is (byte)' ' or (byte)'\t')
            {
                inSpace = true;
                continue;
            }

            length += (inSpace ? 1 : 0) + 1;
            inSpace = false;
        }

        return length;
    }
}
