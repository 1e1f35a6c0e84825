using EmailPipeline.Smtp.Addresses;

namespace EmailPipeline.Smtp.Parsing;

/// <summary>MAIL FROM. <paramref name="ReversePath"/> is null for the null sender <c>&lt;&gt;</c>.</summary>
public sealed record MailCommand(Mailbox? ReversePath, MailParameters Parameters) : SmtpCommand
{
    public bool IsNullSender => ReversePath is null;
}
