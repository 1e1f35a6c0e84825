namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// Decides whether an authenticated user may use an envelope sender (MAIL FROM), from the user's
/// <see cref="SmtpUser.Senders"/> patterns:
/// <list type="bullet">
/// <item><c>alice@example.com</c>: that address. The whole address is compared case-insensitively. RFC 5321
/// lets a server treat local parts as case-sensitive, but no mailbox provider we relay for does, and treating
/// <c>Alice@</c> and <c>alice@</c> as different senders would only make rules harder to write.</item>
/// <item><c>@example.org</c>: any local part at exactly that domain (not its subdomains).</item>
/// <item><c>*</c>: any address except the null sender.</item>
/// <item><c>&lt;&gt;</c>: the null sender (bounces), passed here as an empty string or <c>&lt;&gt;</c>.</item>
/// </list>
/// A user not in the directory may send as nobody.
/// </summary>
public sealed class SenderAuthorization(UserDirectory users)
{
    private const string NullSender = "<>";
    private const string AnyAddress = "*";

    public bool MaySendAs(string userName, string senderAddress)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(senderAddress);
        SmtpUser? user = users.Find(userName);
        return user is not null && Matches(user.Senders, senderAddress);
    }

    public static bool Matches(IEnumerable<string> patterns, string senderAddress)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        ArgumentNullException.ThrowIfNull(senderAddress);
        string sender = Unbracket(senderAddress.Trim());
        if (sender.Length == 0)
        {
            return patterns.Any(pattern => pattern == NullSender);
        }

        int at = sender.LastIndexOf('@');
        if (at <= 0 || at == sender.Length - 1)
        {
            return false;
        }

        ReadOnlySpan<char> domain = sender.AsSpan(at + 1).TrimEnd('.');
        foreach (string pattern in patterns)
        {
            if (pattern == AnyAddress)
            {
                return true;
            }

            if (pattern.StartsWith('@'))
            {
                if (domain.Equals(pattern.AsSpan(1).TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            else if (pattern != NullSender && string.Equals(pattern, sender, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="pattern"/> is one of the shapes <see cref="Matches"/> understands.</summary>
    public static bool IsValidPattern(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return false;
        }

        pattern = pattern.Trim();
        if (pattern is AnyAddress or NullSender)
        {
            return true;
        }

        int at = pattern.LastIndexOf('@');
        bool hasDomain = at >= 0 && at < pattern.Length - 1 && !pattern.AsSpan(at + 1).ContainsAny('@', '*', ' ');
        return hasDomain && !pattern.AsSpan(0, at).Contains('*');
    }

    private static string Unbracket(string address) =>
        address.Length >= 2 && address[0] == '<' && address[^1] == '>' ? address[1..^1] : address;
}
