namespace EmailPipeline.Smtp.Replies;

/// <summary>An RFC 3463 enhanced mail system status code, class.subject.detail (e.g. 5.7.1).</summary>
public readonly record struct EnhancedStatusCode(int Class, int Subject, int Detail)
{
    public override string ToString() => $"{Class}.{Subject}.{Detail}";

    public static bool TryParse(ReadOnlySpan<char> text, out EnhancedStatusCode code)
    {
        code = default;
        Span<Range> parts = stackalloc Range[4];
        if (text.Split(parts, '.') != 3)
        {
            return false;
        }

        if (!int.TryParse(text[parts[0]], out int c) || c is not (2 or 4 or 5)
            || !int.TryParse(text[parts[1]], out int s) || s is < 0 or > 999
            || !int.TryParse(text[parts[2]], out int d) || d is < 0 or > 999)
        {
            return false;
        }

        code = new EnhancedStatusCode(c, s, d);
        return true;
    }
}
