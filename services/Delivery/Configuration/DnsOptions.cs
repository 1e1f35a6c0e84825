using System.ComponentModel.DataAnnotations;
using System.Net;

namespace EmailPipeline.Delivery.Configuration;

/// <summary>Delivery:Dns. Without servers the system's resolvers (/etc/resolv.conf) are used.</summary>
public sealed class DnsOptions : IValidatableObject
{
    /// <summary>"127.0.0.1:5353", "[::1]:53" or "10.0.0.2" (port 53).</summary>
    public List<string> Servers { get; set; } = [];

    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    [Range(0, 5)]
    public int Retries { get; set; } = 1;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (int i = 0; i < Servers.Count; i++)
        {
            if (!IPEndPoint.TryParse(Servers[i], out _))
            {
                yield return new ValidationResult($"Delivery:Dns:Servers:{i} '{Servers[i]}' must be an IP address with an optional port, e.g. 127.0.0.1:5353.", [nameof(Servers)]);
            }
        }
    }
}
