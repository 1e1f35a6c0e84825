using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Delivery.Configuration;

/// <summary>Delivery:CircuitBreaker — per destination host, counting connection-level failures only.</summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Share of failed connects within <see cref="SamplingDuration"/> that opens the circuit.</summary>
    [Range(0.01, 1.0)]
    public double FailureRatio { get; set; } = 0.8;

    /// <summary>Connects seen in the window before the ratio counts (Polly requires at least 2).</summary>
    [Range(2, 1000)]
    public int MinimumThroughput { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a host is left alone once its circuit opened.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(60);
}
