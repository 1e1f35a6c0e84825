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
    /// With <see cref="ProxyProtocol"/>: the load balancers' addresses, as CIDR ranges ("10.0.0.0/8") or single
    /// addresses. Required: a header is believed only from these, because whoever sends one chooses the client address
    /// that SPF, DMARC, DNS lists and the AUTH lockout then judge. A connection from anywhere else gets 421 4.7.0.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Whether a connection from <paramref name="peer"/> may carry a PROXY header (IPv4-mapped IPv6 counts as IPv4).</summary>
    public bool TrustsProxy(IPAddress peer)
    {
        IPAddress address = peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer;
        foreach (string range in TrustedProxies)
        {
            if (TryParseRange(range, out IPNetwork network) && network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A CIDR range, or one address (a /32 or /128).</summary>
    public static bool TryParseRange(string range, out IPNetwork network)
    {
        if (IPNetwork.TryParse(range, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(range, out IPAddress? single))
        {
            network = new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }

    /// <summary>
    /// How long to wait before the greeting. A client that talks first is refused (554 5.5.0): real MTAs
    /// wait for the greeting (RFC 5321 §3.1), spam engines often do not.
    /// </summary>
    public TimeSpan GreetingDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Require TLS before MAIL even without AUTH (submission always requires it).</summary>
    public bool RequireTls { get; set; }

    public bool TryGetAddress(out IPAddress address) => IPAddress.TryParse(Address, out address!);
}
