namespace EmailPipeline.Smtp.Parsing;

/// <summary>The ESMTP parameters of MAIL FROM that this server implements.</summary>
public sealed record MailParameters
{
    public static readonly MailParameters None = new();

    /// <summary>SIZE= (RFC 1870), the client's estimate in octets.</summary>
    public long? Size { get; init; }

    public BodyParameter Body { get; init; }

    /// <summary>SMTPUTF8 (RFC 6531) was given.</summary>
    public bool SmtpUtf8 { get; init; }

    public DsnReturnParameter Return { get; init; }

    /// <summary>ENVID= (RFC 3461 §4.4), xtext-decoded; printable ASCII, at most 100 characters.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>AUTH= (RFC 4954 §5), xtext-decoded; "&lt;&gt;" when the client vouches for no one.</summary>
    public string? Auth { get; init; }
}
