using System.ComponentModel.DataAnnotations;
using System.Net;

namespace EmailPipeline.Ingress.Configuration;

/// <summary>One SMTP listener. Bound from "Ingress:Listeners:&lt;n&gt;".</summary>
public sealed class SmtpListenerOptions
{
    /// <summary>A name for logs, metrics and the Received: header's listener fact ("mx", "submission").</summary>
    [Required]
    public string Name { get; set; } = "";

    public ListenerRole Role { get; set; } = ListenerRole.Mx;

    /// <summary>An IPv4 or IPv6 address; "0.0.0.0" or "::" for every address.</summary>
    [Required]
    public string Address { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int Port { get; set; } = 2525;

    /// <summary>Expect a PROXY protocol v1 or v2 header first (behind a load balancer). Off by default.</summary>
    public bool ProxyProtocol { get; set; }

    /// <summary>
    /// How long to wait before the greeting. A client that talks first is refused (554 5.5.0): real MTAs
    /// wait for the greeting (RFC 5321 §3.1), spam engines often do not.
    /// </summary>
    public TimeSpan GreetingDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Require TLS before MAIL even without AUTH (submission always requires it).</summary>
    public bool RequireTls { get; set; }

    public bool TryGetAddress(out IPAddress address) => IPAddress.TryParse(Address, out address!);
}
