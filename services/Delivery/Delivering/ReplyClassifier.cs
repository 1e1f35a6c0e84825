using System.Text.RegularExpressions;
using EmailPipeline.Contracts;

namespace EmailPipeline.Delivery.Delivering;

/// <summary>
/// Turns a remote reply into a recipient outcome: 2xx delivered, 4xx deferred, 5xx bounced (RFC 5321 §4.2.1).
/// The enhanced code is taken from the reply text (RFC 2034) when present and agrees in class with the reply
/// code; otherwise it is synthesised as X.0.0 so logs and DSNs always carry three parts.
/// </summary>
public static partial class ReplyClassifier
{
    public static RecipientOutcome Classify(string recipient, int replyCode, string replyText, string? remoteHost)
    {
        string text = (replyText ?? "").Replace('\r', ' ').Replace('\n', ' ').Trim();
        int cls = replyCode / 100;
        DeliveryOutcome outcome = cls switch
        {
            2 => DeliveryOutcome.Delivered,
            5 => DeliveryOutcome.Bounced,
            _ => DeliveryOutcome.Deferred,
        };

        int statusClass = outcome switch
        {
            DeliveryOutcome.Delivered => 2,
            DeliveryOutcome.Bounced => 5,
            _ => 4,
        };

        string? enhanced = EnhancedStatusOf(text, out string rest);
        string status;
        if (enhanced is not null && enhanced[0] - '0' == statusClass)
        {
            status = enhanced;
        }
        else if (enhanced is not null)
        {
            // "550 4.1.1" and the like: the reply code decides, the subject and detail are kept.
            status = $"{statusClass}{enhanced[1..]}";
        }
        else
        {
            status = cls is 2 or 4 or 5 ? $"{statusClass}.0.0" : "4.5.0";
        }

        string diagnostic = $"{replyCode} {status} {(enhanced is null ? text : rest)}".TrimEnd();
        return new RecipientOutcome(recipient, outcome, replyCode, status, diagnostic, remoteHost);
    }

    /// <summary>"5.1.1 User unknown" gives "5.1.1" and sets <paramref name="rest"/> to "User unknown".</summary>
    public static string? EnhancedStatusOf(string text, out string rest)
    {
        Match m = EnhancedStatus().Match(text);
        if (!m.Success)
        {
            rest = text;
            return null;
        }

        rest = text[m.Length..].TrimStart();
        return m.Groups[1].Value;
    }

    [GeneratedRegex(@"^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)", RegexOptions.CultureInvariant)]
    private static partial Regex EnhancedStatus();
}
