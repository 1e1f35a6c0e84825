namespace EmailPipeline.Ingress.Queueing;

/// <summary>The raw header section of a message as its fields, without parsing or copying anything.</summary>
internal static class HeaderFields
{
    /// <summary>Where the field starting at <paramref name="start"/> ends: the CRLF not followed by SP or HTAB (RFC 5322
    /// §2.2.3 folding). An empty line — the end of the header section — gives <paramref name="start"/> itself.</summary>
    public static int FieldEnd(ReadOnlySpan<byte> content, int start)
    {
        int i = start;
        while (true)
        {
            int crlf = content[i..].IndexOf("\r\n"u8);
            if (crlf < 0)
            {
                return content.Length;
            }

            i += crlf + 2;
            if (i - 2 == start)
            {
                return start; // an empty line
            }

            if (i >= content.Length || content[i] is not ((byte)' ' or (byte)'\t'))
            {
                return i;
            }
        }
    }

    /// <summary>Whether <paramref name="field"/> is named <paramref name="name"/> (case-insensitive, WSP before the colon allowed).</summary>
    public static bool IsNamed(ReadOnlySpan<byte> field, ReadOnlySpan<byte> name)
    {
        if (field.Length <= name.Length || !System.Text.Ascii.EqualsIgnoreCase(field[..name.Length], name))
        {
            return false;
        }

        ReadOnlySpan<byte> rest = field[name.Length..].TrimStart(" \t"u8);
        return !rest.IsEmpty && rest[0] == (byte)':';
    }

    /// <summary>How many fields named <paramref name="name"/> the header section holds, counting no further than
    /// <paramref name="enough"/> (a caller that compares with a limit needs no more).</summary>
    public static int Count(ReadOnlySpan<byte> content, ReadOnlySpan<byte> name, int enough)
    {
        int count = 0;
        int position = 0;
        while (position < content.Length && count < enough)
        {
            int end = FieldEnd(content, position);
            if (end == position)
            {
                break;
            }

            if (IsNamed(content[position..end], name))
            {
                count++;
            }

            position = end;
        }

        return count;
    }
}
