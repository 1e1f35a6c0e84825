using System.Globalization;
using System.Text;
using EmailPipeline.Contracts;
using MimeKit;
using MimeKit.Text;
using MimeKit.Utils;

namespace EmailPipeline.Queue.Dsn;

/// <summary>
/// Builds a DSN (RFC 3464 multipart/report; report-type=delivery-status) as the bytes of a new message from
/// the null sender to the original sender. Failure DSNs return the original (RET=FULL, the default) or its
/// headers (RET=HDRS, or when it is larger than the limit); delay and success DSNs return headers only.
/// </summary>
public static class DeliveryStatusNotification
{
    public static byte[] Build(DsnReport report, byte[]? original, long maxReturnedSize, DateTimeOffset now)
    {
        string host = report.ReportingMta;
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Mail Delivery System", $"MAILER-DAEMON@{host}"));
        message.To.Add(MailboxAddress.Parse(report.OriginalSender));
        message.Subject = report.Kind switch
        {
            DsnKind.Failure => "Undelivered Mail Returned to Sender",
            DsnKind.Delay => "Delayed Mail (still being retried)",
            _ => "Successful Mail Delivery Report",
        };
        message.Date = now;
        message.MessageId = $"{report.OriginalMessageId}.{report.Kind.ToString().ToLowerInvariant()}.{now.ToUnixTimeMilliseconds()}@{host}";
        message.Headers.Add("Auto-Submitted", "auto-replied");

        var multipart = new MultipartReport("delivery-status");
        multipart.Add(new TextPart(TextFormat.Plain) { Text = HumanReadable(report) });
        multipart.Add(StatusPart(report));
        MimeEntity? returned = Returned(report, original, maxReturnedSize);
        if (returned is not null)
        {
            multipart.Add(returned);
        }

        message.Body = multipart;
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        using var stream = new MemoryStream();
        message.WriteTo(options, stream);
        return stream.ToArray();
    }

    private static string HumanReadable(DsnReport report)
    {
        var sb = new StringBuilder();
        sb.Append("This is the mail system at host ").Append(report.ReportingMta).Append(".\r\n\r\n");
        sb.Append(report.Kind switch
        {
            DsnKind.Failure => "I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n",
            DsnKind.Delay => "Your message could not be delivered yet to one or more recipients.\r\nIt will be retried until it is delivered or the retry period ends.\r\n",
            _ => "Your message was successfully delivered to the destination(s)\r\nlisted below.\r\n",
        });
        sb.Append("\r\n");
        foreach (DsnRecipient r in report.Recipients)
        {
            sb.Append('<').Append(r.Address).Append(">: ");
            if (r.RemoteHost is not null)
            {
                sb.Append("host ").Append(r.RemoteHost).Append(" said: ");
            }

            sb.Append(Reply(r)).Append("\r\n");
        }

        return sb.ToString();
    }

    private static MessageDeliveryStatus StatusPart(DsnReport report)
    {
        var status = new MessageDeliveryStatus();
        var perMessage = new HeaderList
        {
            { "Reporting-MTA", $"dns; {report.ReportingMta}" },
            { "X-EmailPipeline-Queue-ID", report.OriginalMessageId },
            { "Arrival-Date", DateUtils.FormatDate(report.ArrivalDate) },
        };
        if (report.EnvelopeId is not null)
        {
            perMessage.Add("Original-Envelope-Id", report.EnvelopeId);
        }

        status.StatusGroups.Add(perMessage);
        string action = report.Kind switch
        {
            DsnKind.Failure => "failed",
            DsnKind.Delay => "delayed",
            _ => "delivered",
        };
        foreach (DsnRecipient r in report.Recipients)
        {
            var fields = new HeaderList();
            if (r.OriginalRecipient is not null)
            {
                fields.Add("Original-Recipient", r.OriginalRecipient);
            }

            fields.Add("Final-Recipient", $"rfc822; {r.Address}");
            fields.Add("Action", action);
            fields.Add("Status", r.Status);
            if (r.RemoteHost is not null)
            {
                fields.Add("Remote-MTA", $"dns; {r.RemoteHost}");
            }

            if (r.ReplyCode > 0)
            {
                fields.Add("Diagnostic-Code", $"smtp; {OneLine(Reply(r))}");
            }

            fields.Add("Last-Attempt-Date", DateUtils.FormatDate(r.LastAttempt));
            if (r.WillRetryUntil is { } until)
            {
                fields.Add("Will-Retry-Until", DateUtils.FormatDate(until));
            }

            status.StatusGroups.Add(fields);
        }

        return status;
    }

    private static MimeEntity? Returned(DsnReport report, byte[]? original, long maxReturnedSize)
    {
        if (original is null || original.Length == 0)
        {
            return null;
        }

        bool full = report.Kind == DsnKind.Failure && report.Return != DsnReturn.Headers && original.Length <= maxReturnedSize;
        if (full)
        {
            return new MessagePart("rfc822") { Message = MimeMessage.Load(new MemoryStream(original)) };
        }

        int end = original.AsSpan().IndexOf("\r\n\r\n"u8);
        byte[] headers = end < 0 ? original : original[..(end + 2)];
        return new MimePart("text", "rfc822-headers")
        {
            Content = new MimeContent(new MemoryStream(headers)),
            ContentTransferEncoding = ContentEncoding.SevenBit,
        };
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>The remote reply as sent ("550 5.1.1 User unknown"); the code and status are added only
    /// when the diagnostic does not already start with them.</summary>
    private static string Reply(DsnRecipient r)
    {
        string code = r.ReplyCode.ToString(CultureInfo.InvariantCulture);
        if (r.ReplyCode <= 0)
        {
            return $"{r.Status} {r.Diagnostic}";
        }

        return r.Diagnostic.StartsWith(code, StringComparison.Ordinal) ? r.Diagnostic : $"{code} {r.Status} {r.Diagnostic}";
    }
}
