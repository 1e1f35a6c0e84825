using System.Diagnostics.CodeAnalysis;
using EmailPipeline.Smtp.Addresses;

namespace EmailPipeline.Smtp.Parsing;

/// <summary>
/// RCPT TO. <paramref name="ForwardPath"/> is null only for <c>RCPT TO:&lt;Postmaster&gt;</c> without a
/// domain (RFC 5321 §4.1.1.3), which every server must accept: the session substitutes its own
/// postmaster address. Null rather than a mailbox with an empty domain, so the compiler makes
/// every caller handle it.
/// </summary>
public sealed record RcptCommand(Mailbox? ForwardPath, RcptParameters Parameters) : SmtpCommand
{
    [MemberNotNullWhen(false, nameof(ForwardPath))]
    public bool IsBarePostmaster => ForwardPath is null;
}
