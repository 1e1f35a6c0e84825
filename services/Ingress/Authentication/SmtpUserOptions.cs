namespace EmailPipeline.Ingress.Authentication;

/// <summary>One account allowed to submit mail.</summary>
public sealed class SmtpUserOptions
{
    /// <summary>The SASL user name (matched case-insensitively), usually an address.</summary>
    public string Name { get; set; } = "";

    /// <summary>A <c>$pbkdf2-sha256$</c> hash for PLAIN and LOGIN; omit for a token-only account.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>A Dovecot-style CRAM-MD5 secret (<c>{CRAM-MD5}</c> + 64 hex); omit to refuse CRAM-MD5 for this user.</summary>
    public string? CramMd5Secret { get; set; }

    /// <summary>
    /// Envelope senders this user may use: <c>alice@example.com</c>, <c>@example.org</c> (any local part),
    /// <c>*</c> (any address) and <c>&lt;&gt;</c> (the null sender, which <c>*</c> does not include).
    /// </summary>
    public IList<string> Senders { get; } = [];
}
