namespace EmailPipeline.Policy.Outbound;

/// <summary>
/// DKIM signing of submitted mail ("Policy:Signing"). Keys come from PEM files only — a directory (a Kubernetes
/// Secret mounted as a volume is one) and/or explicit entries — so no key material ever sits in configuration.
/// With no keys configured nothing is signed.
/// </summary>
public sealed class DkimSigningOptions
{
    public const string Section = "Policy:Signing";

    /// <summary>
    /// A directory of private keys named <c>&lt;selector&gt;._domainkey.&lt;domain&gt;.pem</c> — the DNS name the
    /// public key is published at, plus ".pem" — e.g. <c>mail2026._domainkey.example.com.pem</c>. Files not ending
    /// in ".pem" and Kubernetes' own "..data" entries are ignored.
    /// </summary>
    public string? KeyDirectory { get; set; }

    /// <summary>Keys named one by one, in addition to <see cref="KeyDirectory"/>.</summary>
    public List<DkimKeyOptions> Keys { get; set; } = [];

    /// <summary>
    /// The header fields signed when present: RFC 6376 §5.4.1's recommended set, plus Message-ID, MIME-Version,
    /// the Content-* fields that decide how the body is read, and List-Unsubscribe-Post (RFC 8058 asks for it).
    /// </summary>
    public static IReadOnlyList<string> DefaultSignedHeaders { get; } =
    [
        "From", "Reply-To", "Subject", "Date", "To", "Cc",
        "Resent-Date", "Resent-From", "Resent-To", "Resent-Cc",
        "In-Reply-To", "References",
        "List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
        "List-Unsubscribe-Post",
        "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    ];

    /// <summary>
    /// Fields named once more in h= than they occur, so a copy added later (a second Subject above the signed
    /// one, which many readers would show) breaks the signature (RFC 6376 §8.15).
    /// </summary>
    public static IReadOnlyList<string> DefaultOversignedHeaders { get; } = ["From", "To", "Subject"];

    /// <summary>Replaces <see cref="DefaultSignedHeaders"/> when set. (Null by default because the configuration
    /// binder appends to a pre-filled list instead of replacing it.)</summary>
    public List<string>? SignedHeaders { get; set; }

    /// <summary>Replaces <see cref="DefaultOversignedHeaders"/> when set.</summary>
    public List<string>? OversignedHeaders { get; set; }

    internal IReadOnlyList<string> HeadersToSign => SignedHeaders is { Count: > 0 } h ? h : DefaultSignedHeaders;

    internal IReadOnlyList<string> HeadersToOversign => OversignedHeaders ?? DefaultOversignedHeaders;

    /// <summary>When the sender domain has no key, sign with the nearest parent domain's key (d=example.com for
    /// mail from news.example.com, which still aligns under relaxed DMARC). Off by default, as in OpenDKIM.</summary>
    public bool SignSubdomains { get; set; }

    /// <summary>Adds x= (signature expiry) this long after t=; null leaves it out.</summary>
    public TimeSpan? SignatureLifetime { get; set; }

    /// <summary>RSA keys shorter than this are refused at start-up. RFC 8301 forbids under 1024 bits and asks
    /// signers for 2048.</summary>
    public int MinimumRsaKeyBits { get; set; } = 2048;
}
