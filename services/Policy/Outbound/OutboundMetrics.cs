using System.Diagnostics.Metrics;

namespace EmailPipeline.Policy.Outbound;

/// <summary>Outbound policy's instruments, on the service's Meter "EmailPipeline.Policy".</summary>
internal sealed class OutboundMetrics
{
    public const string Name = "EmailPipeline.Policy";

    private readonly Counter<long> _signatures;
    private readonly Counter<long> _unsigned;
    private readonly Counter<long> _limited;
    private readonly Counter<long> _limitsUnavailable;

    public OutboundMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(Name);
        _signatures = meter.CreateCounter<long>("emailpipeline.policy.dkim.signatures", "{signature}", "DKIM signatures added to submitted mail, by algorithm");
        _unsigned = meter.CreateCounter<long>("emailpipeline.policy.dkim.unsigned", "{message}", "Submitted messages left unsigned: no key for the sender domain, or signing failed");
        _limited = meter.CreateCounter<long>("emailpipeline.policy.limits.exceeded", "{message}", "Submitted messages refused 451 4.7.1 by a sending limit, by scope (user, domain)");
        _limitsUnavailable = meter.CreateCounter<long>("emailpipeline.policy.limits.unavailable", "{message}", "Checks the shared sending counter could not answer, by decision");
    }

    public void Signed(string algorithm) => _signatures.Add(1, new KeyValuePair<string, object?>("algorithm", algorithm));

    public void Unsigned(string reason) => _unsigned.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Limited(string scope) => _limited.Add(1, new KeyValuePair<string, object?>("scope", scope));

    public void LimitsUnavailable(string decision) => _limitsUnavailable.Add(1, new KeyValuePair<string, object?>("decision", decision));
}
