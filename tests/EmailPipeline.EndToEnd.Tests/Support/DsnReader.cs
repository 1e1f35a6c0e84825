using MimeKit;

namespace EmailPipeline.EndToEnd.Tests.Support;

/// <summary>A delivery status notification (RFC 3464) as a user's mail program would read it, through MimeKit.</summary>
public sealed class DsnReader
{
    private DsnReader(string raw, MimeMessage message, MultipartReport report, HeaderList perMessage, IReadOnlyList<HeaderList> perRecipient)
    {
        Raw = raw;
        Message = message;
        Report = report;
        PerMessage = perMessage;
        PerRecipient = perRecipient;
    }

    /// <summary>The DSN as stored, for failure messages.</summary>
    public string Raw { get; }

    public MimeMessage Message { get; }

    public MultipartReport Report { get; }

    public HeaderList PerMessage { get; }

    public IReadOnlyList<HeaderList> PerRecipient { get; }

    /// <summary>The third part: message/rfc822 (the whole original) or text/rfc822-headers; null if absent.</summary>
    public MimeEntity? Returned => Report.Count > 2 ? Report[2] : null;

    /// <summary>The one per-recipient group (the DSN reports exactly one recipient).</summary>
    public HeaderList Single()
    {
        Assert.True(PerRecipient.Count == 1, $"{PerRecipient.Count} per-recipient groups in\n{Raw}");
        return PerRecipient[0];
    }

    public HeaderList For(string address) =>
        PerRecipient.SingleOrDefault(g => g["Final-Recipient"]?.Contains(address, StringComparison.OrdinalIgnoreCase) == true)
        ?? throw new Xunit.Sdk.XunitException($"no Final-Recipient {address} in the DSN");

    public static DsnReader Load(string file)
    {
        MimeMessage message = MimeMessage.Load(file);
        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("delivery-status", report.ReportType, ignoreCase: true);
        Assert.True(report.Count >= 2, $"a multipart/report with {report.Count} parts");
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.True(status.StatusGroups.Count >= 2, "no per-recipient fields");
        // MimeKit writes a blank line after the last group and reads it back as an empty group: ignore empty ones.
        return new DsnReader(File.ReadAllText(file), message, report, status.StatusGroups[0], status.StatusGroups.Skip(1).Where(g => g.Count > 0).ToArray());
    }
}
