using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Delivery.Configuration;

/// <summary>
/// One entry of the transport map (Delivery:Transports), as in Postfix's transport(5): which recipient
/// domains it covers and where their mail goes.
/// </summary>
public sealed class TransportRule
{
    /// <summary>"example.test" (that domain only), "*.example.test" (its subdomains only) or "*" (everything).</summary>
    [Required]
    public string Match { get; set; } = "";

    public TransportKind Kind { get; set; } = TransportKind.Smtp;

    /// <summary>Relay or LMTP host (name or IP). Empty for Smtp means "look up the domain's MX".</summary>
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    /// <summary>Refuse to send in clear: without STARTTLS the recipients are deferred with 4.7.5.</summary>
    public bool RequireTls { get; set; }

    /// <summary>Relay AUTH user; the password comes from a secret (Delivery__Transports__N__Password).</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Maildir root; each mailbox is &lt;Path&gt;/&lt;domain&gt;/&lt;localpart&gt;/.</summary>
    public string? Path { get; set; }

    public override string ToString() => $"{Match} -> {Kind} {Host}{(Host is null ? "" : ":" + Port)}{Path}";
}
