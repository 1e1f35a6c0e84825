using System.Text;

namespace EmailPipeline.Ingress.Queueing;

/// <summary>
/// RFC 8601 §5: a border MTA removes any Authentication-Results field that claims its own authserv-id before adding
/// its own, so a sender cannot forge our verdict. Fields of other authserv-ids stay (they are another domain's claims).
/// Works on the raw header section; the body is never touched, so DKIM signatures over it keep verifying.
/// </summary>
internal static class ForgedAuthenticationResults
{
    private static ReadOnlySpan<byte> FieldName => "Authentication-Results"u8;

    /// <summary>
    /// <paramref name="content"/> without the fields claiming <paramref name="authServId"/> in the header section that
    /// starts at <paramref name="offset"/> (what comes before it — our own prepended fields — is kept as it is): one pass
    /// over the header section, and a copy only when a field goes; the same array when none does.
    /// </summary>
    public static byte[] Remove(byte[] content, int offset, string authServId)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrEmpty(authServId);
        var kept = new List<(int Start, int Length)>();
        int position = offset;
        bool removed = false;
        while (position < content.Length)
        {
            int end = HeaderFields.FieldEnd(content, position);
            if (end == position)
            {
                break; // the empty line: the header section is over
            }

            if (Claims(content.AsSpan(position, end - position), authServId))
            {
                removed = true;
            }
            else
            {
                kept.Add((position, end - position));
            }

            position = end;
        }

        if (!removed)
        {
            return content;
        }

        var result = new byte[content.Length - (position - offset - kept.Sum(k => k.Length))];
        content.AsSpan(0, offset).CopyTo(result);
        int at = offset;
        foreach ((int start, int length) in kept)
        {
            content.AsSpan(start, length).CopyTo(result.AsSpan(at));
            at += length;
        }

        content.AsSpan(position).CopyTo(result.AsSpan(at));
        return result;
    }

    private static bool Claims(ReadOnlySpan<byte> field, string authServId)
    {
        if (!HeaderFields.IsNamed(field, FieldName))
        {
            return false;
        }

        ReadOnlySpan<byte> rest = SkipCfws(field[(field.IndexOf((byte)':') + 1)..]);
        int tokenEnd = rest.IndexOfAny(";( \t\r\n"u8);
        ReadOnlySpan<byte> id = tokenEnd < 0 ? rest : rest[..tokenEnd];
        if (id.Length >= 2 && id[0] == (byte)'"' && id[^1] == (byte)'"')
        {
            id = id[1..^1];
        }

        return System.Text.Ascii.EqualsIgnoreCase(id, Encoding.ASCII.GetBytes(authServId));
    }

    // Whitespace, folding and (nested) comments before the authserv-id.
    private static ReadOnlySpan<byte> SkipCfws(ReadOnlySpan<byte> text)
    {
        int depth = 0;
        int i = 0;
        for (; i < text.Length; i++)
        {
            byte b = text[i];
            if (b == (byte)'\\' && depth > 0)
            {
                i++;
            }
            else if (b == (byte)'(')
            {
                depth++;
            }
            else if (b == (byte)')' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0 && b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                break;
            }
        }

        return text[Math.Min(i, text.Length)..];
    }
}
