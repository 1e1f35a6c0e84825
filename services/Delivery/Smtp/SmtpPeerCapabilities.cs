namespace EmailPipeline.Delivery.Smtp;

/// <summary>The service extensions of RFC 5321 §4.1.1.1 we use, as a peer's EHLO reply lists them.</summary>
[Flags]
public enum SmtpPeerExtensions
{
    None = 0,
    Pipelining = 1 << 0,
    EightBitMime = 1 << 1,
    BinaryMime = 1 << 2,
    Chunking = 1 << 3,
    Dsn = 1 << 4,
    Size = 1 << 5,
    SmtpUtf8 = 1 << 6,
    StartTls = 1 << 7,
    Auth = 1 << 8,
    EnhancedStatusCodes = 1 << 9,
}

/// <summary>What a peer offers: its extensions, its SIZE limit (0 when none given) and AUTH mechanisms (upper case).</summary>
public sealed record SmtpPeerCapabilities(SmtpPeerExtensions Extensions, long MaxSize, IReadOnlyList<string> AuthMechanisms)
{
    /// <summary>After HELO, or before any greeting: nothing.</summary>
    public static SmtpPeerCapabilities None { get; } = new(SmtpPeerExtensions.None, 0, []);

    public bool Has(SmtpPeerExtensions extension) => (Extensions & extension) == extension;

    /// <summary>From the lines of a 250 reply to EHLO (the first names the host); unknown keywords are ignored. Pure.</summary>
    public static SmtpPeerCapabilities Parse(IReadOnlyList<string> lines)
    {
        SmtpPeerExtensions extensions = SmtpPeerExtensions.None;
        long maxSize = 0;
        var mechanisms = new List<string>();
        foreach (string line in lines.Skip(1))
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (words.Length == 0)
            {
                continue;
            }

            switch (words[0].ToUpperInvariant())
            {
                case "PIPELINING": extensions |= SmtpPeerExtensions.Pipelining; break;
                case "8BITMIME": extensions |= SmtpPeerExtensions.EightBitMime; break;
                case "BINARYMIME": extensions |= SmtpPeerExtensions.BinaryMime; break;
                case "CHUNKING": extensions |= SmtpPeerExtensions.Chunking; break;
                case "DSN": extensions |= SmtpPeerExtensions.Dsn; break;
                case "SMTPUTF8": extensions |= SmtpPeerExtensions.SmtpUtf8; break;
                case "STARTTLS": extensions |= SmtpPeerExtensions.StartTls; break;
                case "ENHANCEDSTATUSCODES": extensions |= SmtpPeerExtensions.EnhancedStatusCodes; break;
                case "SIZE":
                    extensions |= SmtpPeerExtensions.Size;
                    if (words.Length > 1 && long.TryParse(words[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long size))
                    {
                        maxSize = size;
                    }

                    break;
                case "AUTH":
                    extensions |= SmtpPeerExtensions.Auth;
                    mechanisms.AddRange(words.Skip(1).Select(m => m.ToUpperInvariant()));
                    break;
            }
        }

        return new SmtpPeerCapabilities(extensions, maxSize, mechanisms.Distinct().ToList());
    }
}
