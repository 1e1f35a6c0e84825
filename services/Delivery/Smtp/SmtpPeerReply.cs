namespace EmailPipeline.Delivery.Smtp;

/// <summary>One reply from an SMTP peer: the code and its text lines (the code and separator stripped).</summary>
public sealed record SmtpPeerReply(int Code, IReadOnlyList<string> Lines)
{
    /// <summary>The lines joined by a space, as the diagnostic and <see cref="Delivering.ReplyClassifier"/> take it.</summary>
    public string Text => Lines.Count == 1 ? Lines[0] : string.Join(' ', Lines);

    public bool IsPositive => Code is >= 200 and < 300;

    public bool IsRefusal => Code is >= 400 and < 600;

    public override string ToString() => $"{Code} {Text}";

    /// <summary>
    /// One reply line ("250-PIPELINING", "354 go ahead", "250"), pure: the code, whether more lines follow, and the
    /// text; false for anything else (a reply that cannot be parsed ends the session).
    /// </summary>
    public static bool TryParseLine(string line, out int code, out bool more, out string text)
    {
        code = 0;
        more = false;
        text = "";
        if (line.Length < 3 || line[0] is < '2' or > '5' || !char.IsAsciiDigit(line[1]) || !char.IsAsciiDigit(line[2]))
        {
            return false;
        }

        if (line.Length > 3 && line[3] is not (' ' or '-'))
        {
            return false;
        }

        code = ((line[0] - '0') * 100) + ((line[1] - '0') * 10) + (line[2] - '0');
        more = line.Length > 3 && line[3] == '-';
        text = line.Length > 4 ? line[4..] : "";
        return true;
    }
}
