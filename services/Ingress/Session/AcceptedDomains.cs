using System.Globalization;
using EmailPipeline.Ingress.Configuration;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Session;

/// <summary>The domains the MX listener accepts mail for: local domains and relay domains, compared in
/// their lower-case ASCII (A-label) form so U-labels and A-labels of one domain match.</summary>
internal sealed class AcceptedDomains
{
    private readonly HashSet<string> _local;
    private readonly HashSet<string> _relay;

    public AcceptedDomains(IOptions<IngressOptions> options)
    {
        _local = options.Value.LocalDomains.Select(Normalize).ToHashSet(StringComparer.Ordinal);
        _relay = options.Value.RelayDomains.Select(Normalize).ToHashSet(StringComparer.Ordinal);
        PostmasterDomain = options.Value.LocalDomains.FirstOrDefault() ?? options.Value.HostName;
    }

    /// <summary>Where RCPT TO:&lt;Postmaster&gt; (no domain, RFC 5321 §4.5.1) is delivered.</summary>
    public string PostmasterDomain { get; }

    public bool Accepts(string asciiDomain)
    {
        string d = asciiDomain.TrimEnd('.').ToLowerInvariant();
        return _local.Contains(d) || _relay.Contains(d);
    }

    private static string Normalize(string domain)
    {
        string d = domain.Trim().TrimEnd('.');
        try
        {
            return new IdnMapping().GetAscii(d).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return d.ToLowerInvariant();
        }
    }
}
