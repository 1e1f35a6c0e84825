using System.Diagnostics;
using System.Diagnostics.Metrics;
using EmailPipeline.Ingress.Hosting;

namespace EmailPipeline.Ingress.Telemetry;

/// <summary>The ingress's instruments. Meter and ActivitySource are both named "EmailPipeline.Ingress".</summary>
public sealed class IngressMetrics
{
    public const string Name = "EmailPipeline.Ingress";

    /// <summary>The reasons answered with a 4xx reply: too many recipients (452), policy tempfail or no verdict
    /// (451), broker unavailable (451), no room in the body budget (452 4.3.1). Every other reason is a 5xx.</summary>
    private static readonly HashSet<string> TemporaryReasons = new(StringComparer.Ordinal)
    {
        "too_many_recipients", "policy_tempfail", "policy_unavailable", "queue_unavailable", "insufficient_storage",
    };

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly UpDownCounter<long> _activeSessions;
    private readonly Counter<long> _sessions;
    private readonly Counter<long> _refusedSessions;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _bytes;
    private readonly Histogram<double> _acceptLatency;
    private readonly Counter<long> _policyFailures;
    private readonly Counter<long> _received;
    private readonly Histogram<double> _policyDuration;

    public IngressMetrics(IMeterFactory meterFactory, BodyByteBudget bodyBudget)
    {
        Meter meter = meterFactory.Create(Name);
        meter.CreateObservableGauge("emailpipeline.ingress.body_budget.used", () => bodyBudget.Reserved, "By", "Message body bytes sessions hold in memory now (received, not yet published)");
        meter.CreateObservableCounter("emailpipeline.ingress.body_budget.refusals", () => bodyBudget.Refusals, "{message}", "Message bodies refused for want of body budget, counted when refused (the 452 4.3.1 follows at their end)");
        meter.CreateObservableGauge("emailpipeline.ingress.body_budget.limit", () => bodyBudget.Capacity, "By", "Ingress:Limits:MaxBufferedBodyBytes in use; bodies beyond it get 452 4.3.1 (rejected, reason insufficient_storage)");
        _activeSessions = meter.CreateUpDownCounter<long>("emailpipeline.ingress.sessions.active", "{session}", "SMTP sessions open now");
        _sessions = meter.CreateCounter<long>("emailpipeline.ingress.sessions", "{session}", "SMTP sessions opened");
        _refusedSessions = meter.CreateCounter<long>("emailpipeline.ingress.sessions.refused", "{session}", "Connections refused with 421/554 before the greeting, by reason");
        _accepted = meter.CreateCounter<long>("emailpipeline.ingress.messages.accepted", "{message}", "Messages accepted (250 after the broker's confirm)");
        _rejected = meter.CreateCounter<long>("emailpipeline.ingress.messages.rejected", "{message}", "Messages and recipients refused, by reason");
        _bytes = meter.CreateCounter<long>("emailpipeline.ingress.bytes.received", "By", "Message content bytes received");
        _acceptLatency = meter.CreateHistogram<double>(
            "emailpipeline.ingress.accept.duration",
            "s",
            "Time from the end of DATA to the 250 reply (policy verdict and broker confirm)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _policyFailures = meter.CreateCounter<long>("emailpipeline.ingress.policy.failures", "{request}", "Policy verdicts that did not come in time, by the failure mode applied");
        _received = meter.CreateCounter<long>("emailpipeline.ingress.messages.received", "{message}", "Messages whose content was received to its end (DATA or BDAT LAST), before any verdict");
        _policyDuration = meter.CreateHistogram<double>(
            "emailpipeline.ingress.policy.duration",
            "s",
            "Time from the CheckMessage request to the Policy service's verdict, by verdict (accept, reject, tempfail, timeout)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    }

    public void SessionStarted(string listener)
    {
        var tag = new KeyValuePair<string, object?>("listener", listener);
        _activeSessions.Add(1, tag);
        _sessions.Add(1, tag);
    }

    public void SessionEnded(string listener) => _activeSessions.Add(-1, new KeyValuePair<string, object?>("listener", listener));

    public void SessionRefused(string listener, string reason) =>
        _refusedSessions.Add(1, new("listener", listener), new("reason", reason));

    public void MessageReceived(string listener) => _received.Add(1, new KeyValuePair<string, object?>("listener", listener));

    /// <summary>An accepted message; <paramref name="tls"/> says whether its session was encrypted (the inbound TLS share).</summary>
    public void MessageAccepted(string listener, bool tls, long bytes, TimeSpan latency)
    {
        var tag = new KeyValuePair<string, object?>("listener", listener);
        _accepted.Add(1, tag, new KeyValuePair<string, object?>("tls", tls));
        _bytes.Add(bytes, tag);
        _acceptLatency.Record(latency.TotalSeconds, tag);
    }

    /// <summary>A refused message or recipient; "class" (4xx or 5xx) says whether the client is asked to retry
    /// (the ingress-4xx alert watches it).</summary>
    public void Rejected(string listener, string reason) =>
        _rejected.Add(1, new("listener", listener), new("reason", reason), new("class", TemporaryReasons.Contains(reason) ? "4xx" : "5xx"));

    public void PolicyAnswered(string verdict, TimeSpan elapsed) =>
        _policyDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("verdict", verdict));

    public void PolicyFailure(string mode) => _policyFailures.Add(1, new KeyValuePair<string, object?>("mode", mode));
}
