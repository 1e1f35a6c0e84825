using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Policy.Dnsbl;

/// <summary>Policy:DnsLists.</summary>
public sealed class DnsListOptions : IValidatableObject
{
    public const string Section = "Policy:DnsLists";

    public IList<DnsListZone> Zones { get; } = [];

    /// <summary>How long all list lookups together may take; a list that has not answered by then is skipped.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:30")]
    public TimeSpan Budget { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (DnsListZone zone in Zones)
        {
            if (string.IsNullOrWhiteSpace(zone.Zone))
            {
                yield return new ValidationResult("Policy:DnsLists:Zones: every zone needs a Zone name.", [nameof(Zones)]);
            }

            foreach (string code in zone.Codes.Keys)
            {
                if (!System.Net.IPAddress.TryParse(code, out System.Net.IPAddress? address) || address.GetAddressBytes()[0] != 127)
                {
                    yield return new ValidationResult($"Policy:DnsLists: return code '{code}' of {zone.Zone} is not an address in 127.0.0.0/8.", [nameof(Zones)]);
                }
            }
        }
    }
}
