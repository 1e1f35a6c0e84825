using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Queue.Configuration;

/// <summary>How hard one destination may be pushed. Bound from "Queue:Shaping".</summary>
public sealed class ShapingOptions
{
    public const string Section = "Queue:Shaping";

    /// <summary>For every destination not listed in <see cref="Destinations"/>.</summary>
    public DestinationLimits Default { get; set; } = new();

    /// <summary>Per destination domain (lower case), e.g. "gmail.com": { "MaxConcurrent": 10, "MaxPerMinute": 600 }.</summary>
    public Dictionary<string, DestinationLimits> Destinations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public DestinationLimits For(string domain) => Destinations.TryGetValue(domain, out DestinationLimits? limits) ? limits : Default;
}

/// <summary>
/// Limits for one destination; 0 means no limit. The defaults are no limit: a delivery held back waits a whole
/// delay step, so a default limit would slow every burst to a big provider, while the workers' own
/// concurrency (Delivery:MaxConcurrentDeliveries) already bounds the connections. Set limits where a
/// destination asks for them (Postfix's default_destination_concurrency_limit is 20).
/// </summary>
public sealed class DestinationLimits
{
    /// <summary>Deliveries (messages) handed to delivery and not yet back, across all Delivery workers.</summary>
    [Range(0, 100_000)]
    public int MaxConcurrent { get; set; }

    /// <summary>Delivery attempts started per minute.</summary>
    [Range(0, 10_000_000)]
    public int MaxPerMinute { get; set; }
}
