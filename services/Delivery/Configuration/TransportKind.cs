namespace EmailPipeline.Delivery.Configuration;

/// <summary>How a destination is reached.</summary>
public enum TransportKind
{
    /// <summary>SMTP to the configured host (relay), or to the domain's MX hosts when no host is set.</summary>
    Smtp = 0,

    /// <summary>LMTP (RFC 2033) to a local mail store such as Dovecot.</summary>
    Lmtp = 1,

    /// <summary>Files in a Maildir tree on this machine: &lt;Path&gt;/&lt;domain&gt;/&lt;localpart&gt;/.</summary>
    Maildir = 2,
}
