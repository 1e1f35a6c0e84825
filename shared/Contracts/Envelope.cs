namespace EmailPipeline.Contracts;

/// <summary>The SMTP envelope of one transaction (RFC 5321), with the DSN (RFC 3461) and body parameters.</summary>
/// <param name="Sender">The reverse-path without angle brackets; empty for the null sender &lt;&gt;.</param>
/// <param name="Recipients">The accepted recipients in the order given.</param>
/// <param name="EnvelopeId">ENVID (RFC 3461), decoded from xtext; null when not given.</param>
/// <param name="Return">RET (RFC 3461).</param>
/// <param name="Body">BODY (RFC 6152 / 3030).</param>
/// <param name="SmtpUtf8">SMTPUTF8 was given on MAIL (RFC 6531).</param>
/// <param name="DeclaredSize">SIZE given on MAIL (RFC 1870), if any.</param>
public sealed record Envelope(
    string Sender,
    IReadOnlyList<EnvelopeRecipient> Recipients,
    string? EnvelopeId,
    DsnReturn Return,
    BodyType Body,
    bool SmtpUtf8,
    long? DeclaredSize)
{
    public bool IsNullSender => Sender.Length == 0;
}

/// <param name="Address">The forward-path without angle brackets.</param>
/// <param name="Notify">NOTIFY (RFC 3461); <see cref="DsnNotify.Default"/> when not given.</param>
/// <param name="OriginalRecipient">ORCPT as "addr-type;address" with the xtext decoded, or null.</param>
public sealed record EnvelopeRecipient(string Address, DsnNotify Notify, string? OriginalRecipient)
{
    public string Domain => Address[(Address.LastIndexOf('@') + 1)..];
}

/// <summary>NOTIFY values. <see cref="Default"/> means not given: failure (and delay at the MTA's option).</summary>
[Flags]
public enum DsnNotify
{
    Default = 0,
    Never = 1,
    Success = 2,
    Failure = 4,
    Delay = 8,
}

public enum DsnReturn
{
    Unspecified = 0,
    Full = 1,
    Headers = 2,
}

public enum BodyType
{
    SevenBit = 0,
    EightBitMime = 1,
    BinaryMime = 2,
}
