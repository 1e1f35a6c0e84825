using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.Dsn;
using MimeKit;

namespace EmailPipeline.Queue.Tests.Dsn;

public sealed class DeliveryStatusNotificationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Original = Encoding.ASCII.GetBytes("Received: from x\r\nFrom: a@sender.test\r\nSubject: hello\r\nMessage-ID: <m1@sender.test>\r\n\r\nThe body.\r\n");

    private static DsnReport Report(DsnKind kind, DsnReturn ret = DsnReturn.Unspecified, string? envid = "ENV-42") => new(
        kind, "mx.example.test", "a@sender.test", envid, ret, Now.AddMinutes(-10), "01QUEUEID",
        [
            new DsnRecipient("bad@far.test", "rfc822;Bad@Far.test", "5.1.1", "mx.far.test", 550, "5.1.1 <bad@far.test>: Recipient address rejected", Now.AddMinutes(-1), null),
            new DsnRecipient("slow@far.test", null, "4.4.1", null, 0, "connection refused", Now.AddMinutes(-1), kind == DsnKind.Delay ? Now.AddDays(5) : null),
        ]);

    private static MimeMessage Load(byte[] bytes) => MimeMessage.Load(new MemoryStream(bytes));

    [Fact]
    public void Failure_dsn_is_a_multipart_report_with_per_recipient_fields_and_the_full_original()
    {
        MimeMessage dsn = Load(DeliveryStatusNotification.Build(Report(DsnKind.Failure), Original, 1 << 20, Now));
        Assert.Equal("MAILER-DAEMON@mx.example.test", dsn.From.Mailboxes.Single().Address);
        Assert.Equal("a@sender.test", dsn.To.Mailboxes.Single().Address);
        Assert.Equal("auto-replied", dsn.Headers["Auto-Submitted"]);
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Equal(3, report.Count);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal("dns; mx.example.test", status.StatusGroups[0]["Reporting-MTA"]);
        Assert.Equal("ENV-42", status.StatusGroups[0]["Original-Envelope-Id"]);
        HeaderList bad = status.StatusGroups[1]!;
        Assert.Equal("rfc822;Bad@Far.test", bad["Original-Recipient"]);
        Assert.Equal("rfc822; bad@far.test", bad["Final-Recipient"]);
        Assert.Equal("failed", bad["Action"]);
        Assert.Equal("5.1.1", bad["Status"]);
        Assert.Equal("dns; mx.far.test", bad["Remote-MTA"]);
        Assert.StartsWith("smtp; 550 5.1.1", bad["Diagnostic-Code"]!, StringComparison.Ordinal);
        Assert.Null(status.StatusGroups[2]["Diagnostic-Code"]);
        var returned = Assert.IsType<MessagePart>(report[2]);
        Assert.Equal("hello", returned.Message!.Subject);
    }

    [Fact]
    public void Ret_hdrs_and_delay_dsns_return_only_the_headers()
    {
        foreach (DsnReport r in new[] { Report(DsnKind.Failure, DsnReturn.Headers), Report(DsnKind.Delay) })
        {
            var report = (MultipartReport)Load(DeliveryStatusNotification.Build(r, Original, 1 << 20, Now)).Body!;
            MimeEntity headers = report[2];
            Assert.Equal("text/rfc822-headers", headers.ContentType.MimeType);
            string value = headers.ToString();
            Assert.Contains("Subject: hello", value, StringComparison.Ordinal);
            Assert.DoesNotContain("The body.", value, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Delay_dsn_says_delayed_and_until_when()
    {
        var report = (MultipartReport)Load(DeliveryStatusNotification.Build(Report(DsnKind.Delay), Original, 1 << 20, Now)).Body!;
        var status = (MessageDeliveryStatus)report[1];
        Assert.Equal("delayed", status.StatusGroups[2]["Action"]);
        Assert.NotNull(status.StatusGroups[2]["Will-Retry-Until"]);
    }

    [Fact]
    public void An_original_over_the_limit_comes_back_as_headers()
    {
        var report = (MultipartReport)Load(DeliveryStatusNotification.Build(Report(DsnKind.Failure), Original, 10, Now)).Body!;
        Assert.Equal("text/rfc822-headers", report[2].ContentType.MimeType);
    }
}
