using System.Globalization;

namespace EmailPipeline.Delivery.Maildir;

/// <summary>
/// Maps a recipient to its Maildir folder &lt;root&gt;/&lt;domain&gt;/&lt;localpart&gt;/ so that no address can
/// name a path outside the root: a local part or domain with a path separator, a leading dot ("..", ".x"),
/// a control character or quoting is refused (the caller bounces it with 5.1.3). Case is folded: mailboxes
/// are looked up case-insensitively in practice, and one folder per mailbox is what readers expect.
/// </summary>
public static class MailboxPath
{
    private const string AllowedSymbols = "!#$%&'*+-=?^_`{|}~.";

    public static bool TryResolve(string root, string address, out string mailbox, out string reason)
    {
        mailbox = "";
        int at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            reason = "address has no local part or no domain";
            return false;
        }

        string local = address[..at].ToLower(CultureInfo.InvariantCulture);
        string domain = address[(at + 1)..].TrimEnd('.').ToLower(CultureInfo.InvariantCulture);
        if (!IsSafeSegment(local, allowDot: true) || !IsSafeSegment(domain, allowDot: true) || Uri.CheckHostName(domain) != UriHostNameType.Dns)
        {
            reason = "mailbox name not usable as a Maildir folder";
            return false;
        }

        string fullRoot = Path.GetFullPath(root);
        string candidate = Path.GetFullPath(Path.Combine(fullRoot, domain, local));
        string rootWithSeparator = fullRoot.EndsWith(Path.DirectorySeparatorChar) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
        if (!candidate.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            reason = "mailbox would lie outside the Maildir root";
            return false;
        }

        mailbox = candidate;
        reason = "";
        return true;
    }

    private static bool IsSafeSegment(string segment, bool allowDot)
    {
        if (segment.Length is 0 or > 255 || segment[0] == '.' || segment[^1] == '.' || segment.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in segment)
        {
            bool ok = char.IsAsciiLetterOrDigit(c)
                || (c == '.' && allowDot)
                || (c != '.' && AllowedSymbols.Contains(c, StringComparison.Ordinal))
                || (c > 0x7F && char.IsLetterOrDigit(c));
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
