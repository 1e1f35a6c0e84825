using System.Globalization;
using System.Text;
using EmailPipeline.Contracts;
using MimeKit;

namespace EmailPipeline.Delivery.Smtp;

/// <summary>
/// The envelope commands, built from the request as it came in (pure): MAIL FROM with SMTPUTF8, SIZE, BODY and the
/// DSN parameters ENVID and RET (RFC 3461, only to a peer that offers DSN); RCPT TO with NOTIFY and ORCPT. ORCPT is
/// the one the sender gave; without one, but with NOTIFY, it is "rfc822;" and the recipient (as MailKit did).
/// </summary>
public static class SmtpCommands
{
    public static string MailFrom(DeliveryRequested request, SmtpPeerCapabilities peer, long size, string? body)
    {
        var command = new StringBuilder("MAIL FROM:<").Append(request.Sender).Append('>');
        if (request.SmtpUtf8 && peer.Has(SmtpPeerExtensions.SmtpUtf8))
        {
            command.Append(" SMTPUTF8");
        }

        if (peer.Has(SmtpPeerExtensions.Size))
        {
            command.Append(" SIZE=").Append(size.ToString(CultureInfo.InvariantCulture));
        }

        if (body is not null)
        {
            command.Append(" BODY=").Append(body);
        }

        if (peer.Has(SmtpPeerExtensions.Dsn))
        {
            if (!string.IsNullOrEmpty(request.EnvelopeId))
            {
                AppendXtext(command.Append(" ENVID="), request.EnvelopeId);
            }

            command.Append(request.Return switch
            {
                DsnReturn.Full => " RET=FULL",
                DsnReturn.Headers => " RET=HDRS",
                _ => "",
            });
        }

        return command.ToString();
    }

    public static string RcptTo(EnvelopeRecipient recipient, SmtpPeerCapabilities peer)
    {
        var command = new StringBuilder("RCPT TO:<").Append(recipient.Address).Append('>');
        if (peer.Has(SmtpPeerExtensions.Dsn))
        {
            if (recipient.Notify != DsnNotify.Default)
            {
                command.Append(" NOTIFY=").Append(Notify(recipient.Notify));
            }

            int separator = recipient.OriginalRecipient?.IndexOf(';', StringComparison.Ordinal) ?? -1;
            if (separator > 0)
            {
                command.Append(" ORCPT=").Append(recipient.OriginalRecipient.AsSpan(0, separator));
                AppendXtext(command.Append(';'), recipient.OriginalRecipient![(separator + 1)..]);
            }
            else if (recipient.Notify != DsnNotify.Default)
            {
                AppendXtext(command.Append(" ORCPT=rfc822;"), recipient.Address);
            }
        }

        return command.ToString();
    }

    /// <summary>
    /// Whether <paramref name="address"/> may go into MAIL or RCPT: RFC 5321 syntax as MimeKit reads it, and no
    /// control character (a CR or LF would start a command of its own). The null sender is sendable.
    /// </summary>
    public static bool IsSendable(string address, bool nullAllowed)
    {
        if (address.Length == 0)
        {
            return nullAllowed;
        }

        if (address.Any(c => c < ' ' || c == '\u007f'))
        {
            return false;
        }

        try
        {
            _ = new MailboxAddress("", address);
            return true;
        }
        catch (ParseException)
        {
            return false;
        }
    }

    private static string Notify(DsnNotify notify)
    {
        if (notify.HasFlag(DsnNotify.Never))
        {
            return "NEVER";
        }

        var values = new List<string>(3);
        if (notify.HasFlag(DsnNotify.Success))
        {
            values.Add("SUCCESS");
        }

        if (notify.HasFlag(DsnNotify.Failure))
        {
            values.Add("FAILURE");
        }

        if (notify.HasFlag(DsnNotify.Delay))
        {
            values.Add("DELAY");
        }

        return string.Join(',', values);
    }

    /// <summary>RFC 3461 §4 xtext: "+" and "=", and every octet outside "!".."~", as "+" and two upper-case hex digits.</summary>
    private static StringBuilder AppendXtext(StringBuilder builder, string value)
    {
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b is < (byte)'!' or > (byte)'~' or (byte)'+' or (byte)'=')
            {
                builder.Append('+').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append((char)b);
            }
        }

        return builder;
    }
}
