using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Policy.Dns;

/// <summary>Policy:Dns — where the checks ask and how long they remember.</summary>
public sealed class DnsResolverOptions
{
    public const string Section = "Policy:Dns";

    /// <summary>"address" or "address:port" ("[v6]:port"); empty means the system's resolvers.</summary>
    public IList<string> NameServers { get; } = [];

    /// <summary>Per attempt. SPF allows about 20 s for a whole check, so a few seconds here is plenty.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);

    [Range(0, 5)]
    public int Retries { get; set; } = 1;

    /// <summary>Cap on any cached answer, whatever the TTL says.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaximumTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>For NXDOMAIN/NODATA without an SOA in the response (RFC 2308 would not cache those; we keep them briefly).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan NegativeTtl { get; set; } = TimeSpan.FromMinutes(1);

    [Range(100, 10_000_000)]
    public int MaximumCacheEntries { get; set; } = 100_000;
}
