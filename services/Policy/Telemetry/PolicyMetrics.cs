using System.Diagnostics.Metrics;
using EmailPipeline.Contracts;

namespace EmailPipeline.Policy.Telemetry;

/// <summary>Meter "EmailPipeline.Policy": verdicts by direction and action.</summary>
public sealed class PolicyMetrics
{
    public const string MeterName = "EmailPipeline.Policy";
    private readonly Counter<long> _verdicts;

    public PolicyMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Meter meter = meters.Create(MeterName);
        _verdicts = meter.CreateCounter<long>("emailpipeline.policy.verdicts", "{verdict}", "Verdicts given, by direction and action");
    }

    public void Verdict(string direction, PolicyAction action) =>
        _verdicts.Add(1, new KeyValuePair<string, object?>("direction", direction), new KeyValuePair<string, object?>("action", action.ToString().ToLowerInvariant()));
}
