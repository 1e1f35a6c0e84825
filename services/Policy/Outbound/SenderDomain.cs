using System.Globalization;
using EmailPipeline.Contracts;
using MimeKit;

namespace EmailPipeline.Policy.Outbound;

/// <summary>
/// The domain a submitted message is sent for: the From header's domain when From holds exactly one mailbox,
/// else the envelope sender's, else the authenticated user's (when it is an address). Signing keys and the
/// per-domain sending limit both key on it, so a domain's limit counts the mail its name is on.
/// </summary>
internal static class SenderDomain
{
    public static string? Of(MimeMessage message, CheckMessage check)
    {
        if (message.From.Mailboxes.Take(2).ToList() is [MailboxAddress single] && Normalize(DomainOf(single.Address)) is { } from)
        {
            return from;
        }

        return Of(check);
    }

    /// <summary>Without a readable message: the envelope sender's domain, else the authenticated user's.</summary>
    public static string? Of(CheckMessage check)
    {
        if (!check.Envelope.IsNullSender && Normalize(DomainOf(check.Envelope.Sender)) is { } envelope)
        {
            return envelope;
        }

        return check.Session.AuthenticatedUser is { } user ? Normalize(DomainOf(user)) : null;
    }

    /// <summary>Lower case, no trailing dot, internationalized names as A-labels (DKIM's d= is ASCII); null when
    /// it is not a usable name.</summary>
    public static string? Normalize(string? domain)
    {
        if (string.IsNullOrWhiteSpace(domain))
        {
            return null;
        }

        string d = domain.Trim().TrimEnd('.');
        if (d.Length == 0)
        {
            return null;
        }

        if (!System.Text.Ascii.IsValid(d))
        {
            try
            {
                d = new IdnMapping().GetAscii(d);
            }
            catch (ArgumentException)
            {
                return null;
            }
        }

        return d.ToLowerInvariant();
    }

    private static string? DomainOf(string address)
    {
        int at = address.LastIndexOf('@');
        return at >= 0 && at < address.Length - 1 ? address[(at + 1)..] : null;
    }
}
