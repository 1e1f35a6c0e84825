using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Policy.Dnsbl;

/// <summary>
/// One DNSBL/DNSWL zone (RFC 5782): the client's reversed address is looked up as an A record under <see cref="Zone"/>.
/// <see cref="Codes"/> maps the return codes that count to their meaning ("127.0.0.2" → "spam source"); when it is
/// empty any 127.0.0.0/8 answer counts. Answers outside the map (for example a list's "query refused" codes in
/// 127.255.255.0/24) are ignored, so a list that stops answering us never blocks mail.
/// </summary>
public sealed class DnsListZone
{
    [Required]
    public string Zone { get; set; } = "";

    public DnsListKind Kind { get; set; } = DnsListKind.Block;

    public IDictionary<string, string> Codes { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
