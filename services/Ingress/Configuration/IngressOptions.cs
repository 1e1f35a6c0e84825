using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Ingress.Configuration;

/// <summary>The ingress as a whole. Bound from "Ingress".</summary>
public sealed class IngressOptions : IValidatableObject
{
    public const string Section = "Ingress";

    /// <summary>Our name in the greeting, EHLO reply and Received: header. Defaults to the machine name.</summary>
    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>Domains we deliver locally. The first is also where a bare RCPT TO:&lt;postmaster&gt; goes.</summary>
    public List<string> LocalDomains { get; set; } = [];

    /// <summary>Domains we accept on the MX listener and relay onwards.</summary>
    public List<string> RelayDomains { get; set; } = [];

    public List<SmtpListenerOptions> Listeners { get; set; } = [];

    /// <summary>On shutdown, how long running sessions may go on before they get 421.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the end of DATA waits for the broker's confirm before 451 4.3.0.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Where the health and metrics HTTP endpoint listens.</summary>
    public string HttpUrl { get; set; } = "http://127.0.0.1:8025";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(HostName) || HostName.Any(c => c <= ' ' || c > '~'))
        {
            yield return new ValidationResult("Ingress:HostName must be a host name of printable ASCII without spaces.", [nameof(HostName)]);
        }

        if (Listeners.Count == 0)
        {
            yield return new ValidationResult("Ingress:Listeners is empty; configure at least one SMTP listener (Name, Role, Address, Port).", [nameof(Listeners)]);
        }

        var seen = new HashSet<(string, int)>();
        for (int i = 0; i < Listeners.Count; i++)
        {
            SmtpListenerOptions l = Listeners[i];
            if (string.IsNullOrWhiteSpace(l.Name))
            {
                yield return new ValidationResult($"Ingress:Listeners:{i}:Name is required.", [nameof(Listeners)]);
            }

            if (!l.TryGetAddress(out _))
            {
                yield return new ValidationResult($"Ingress:Listeners:{i}:Address '{l.Address}' is not an IPv4 or IPv6 address.", [nameof(Listeners)]);
            }

            if (l.Port is < 1 or > 65535)
            {
                yield return new ValidationResult($"Ingress:Listeners:{i}:Port {l.Port} is not between 1 and 65535.", [nameof(Listeners)]);
            }

            if (l.ProxyProtocol && l.TrustedProxies.Count == 0)
            {
                yield return new ValidationResult(
                    $"Ingress:Listeners:{i}:ProxyProtocol is on but TrustedProxies is empty: name the load balancers' addresses (CIDR ranges), or anyone who reaches the port could claim any client address.",
                    [nameof(Listeners)]);
            }

            foreach (string range in l.TrustedProxies.Where(r => !SmtpListenerOptions.TryParseRange(r, out _)))
            {
                yield return new ValidationResult($"Ingress:Listeners:{i}:TrustedProxies '{range}' is not an address or CIDR range.", [nameof(Listeners)]);
            }

            if (!seen.Add((l.Address, l.Port)))
            {
                yield return new ValidationResult($"Ingress:Listeners:{i} uses {l.Address}:{l.Port}, which another listener already uses.", [nameof(Listeners)]);
            }

            if (l.GreetingDelay < TimeSpan.Zero || l.GreetingDelay > TimeSpan.FromSeconds(60))
            {
                yield return new ValidationResult($"Ingress:Listeners:{i}:GreetingDelay must be between 0 and 60 seconds.", [nameof(Listeners)]);
            }
        }

        foreach (string domain in LocalDomains.Concat(RelayDomains))
        {
            if (string.IsNullOrWhiteSpace(domain) || domain.Contains('@') || domain.Any(char.IsWhiteSpace))
            {
                yield return new ValidationResult($"Ingress:LocalDomains/RelayDomains entry '{domain}' is not a domain name.", [nameof(LocalDomains)]);
            }
        }

        if (DrainTimeout < TimeSpan.Zero || PublishTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Ingress:DrainTimeout must be >= 0 and Ingress:PublishTimeout > 0.", [nameof(PublishTimeout)]);
        }
    }
}
