namespace EmailPipeline.Smtp.Parsing;

/// <summary>The ESMTP parameters of RCPT TO that this server implements.</summary>
public sealed record RcptParameters
{
    public static readonly RcptParameters None = new();

    public NotifyParameter Notify { get; init; }

    /// <summary>
    /// ORCPT= (RFC 3461 §4.2) as <c>addr-type;address</c>, the address xtext-decoded and the addr-type as
    /// sent (e.g. <c>rfc822;user@example.com</c>). A <c>utf-8</c> addr-type keeps its <c>\x{…}</c> escapes.
    /// </summary>
    public string? OriginalRecipient { get; init; }
}
