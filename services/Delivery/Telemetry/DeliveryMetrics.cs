using System.Diagnostics;
using System.Diagnostics.Metrics;
using EmailPipeline.Contracts;

namespace EmailPipeline.Delivery.Telemetry;

/// <summary>The delivery service's instruments. Meter and ActivitySource are both named "EmailPipeline.Delivery".</summary>
public sealed class DeliveryMetrics
{
    public const string Name = "EmailPipeline.Delivery";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _recipients;
    private readonly Histogram<double> _attemptDuration;
    private readonly Counter<long> _circuitChanges;
    private readonly Counter<long> _connections;
    private readonly Counter<long> _reused;
    private readonly Histogram<double> _dnsDuration;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _circuits = new(StringComparer.Ordinal);

    public DeliveryMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(Name);
        _recipients = meter.CreateCounter<long>("emailpipeline.delivery.recipients", "{recipient}", "Recipient outcomes, by outcome, destination domain and transport");
        _attemptDuration = meter.CreateHistogram<double>(
            "emailpipeline.delivery.attempt.duration",
            "s",
            "Time of one delivery attempt, routing included",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });
        _circuitChanges = meter.CreateCounter<long>("emailpipeline.delivery.circuit.changes", "{change}", "Per-host circuit breaker state changes, by new state");
        _connections = meter.CreateCounter<long>("emailpipeline.delivery.connections", "{connection}", "SMTP/LMTP sessions opened, by whether TLS was used");
        _reused = meter.CreateCounter<long>("emailpipeline.delivery.connections.reused", "{transaction}", "Transactions sent over a pooled session instead of a new connection");
        _dnsDuration = meter.CreateHistogram<double>(
            "emailpipeline.delivery.dns.duration",
            "s",
            "Time of one DNS query of routing (MX, A, AAAA), by record type and status",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        meter.CreateObservableGauge("emailpipeline.delivery.circuits", ObserveCircuits, "{host}", "Destination hosts by the state of their circuit breaker (closed, open, half-open)");
    }

    public void Attempted(string destination, string transport, IReadOnlyList<RecipientOutcome> outcomes, TimeSpan elapsed)
    {
        foreach (var group in outcomes.GroupBy(o => o.Outcome))
        {
            _recipients.Add(group.Count(), new("outcome", OutcomeName(group.Key)), new("destination", destination), new("transport", transport));
        }

        _attemptDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("transport", transport));
    }

    /// <summary>A host's circuit changed state; counted, and remembered for the per-state gauge.</summary>
    public void CircuitChanged(string host, string state)
    {
        _circuits[host] = state;
        _circuitChanges.Add(1, new KeyValuePair<string, object?>("state", state));
    }

    public void DnsQueried(string type, string status, TimeSpan elapsed) =>
        _dnsDuration.Record(elapsed.TotalSeconds, new("type", type), new("status", status));

    public void Connected(bool tls, string transport) => _connections.Add(1, new("tls", tls), new("transport", transport));

    public void Reused(string transport) => _reused.Add(1, new KeyValuePair<string, object?>("transport", transport));

    /// <summary>Every state is reported, zero included, so "no open circuit" is a value and not a gap.</summary>
    private IEnumerable<Measurement<long>> ObserveCircuits()
    {
        foreach (string state in (string[])["closed", "open", "half-open"])
        {
            yield return new Measurement<long>(_circuits.Count(c => c.Value == state), new KeyValuePair<string, object?>("state", state));
        }
    }

    private static string OutcomeName(DeliveryOutcome outcome) => outcome switch
    {
        DeliveryOutcome.Delivered => "delivered",
        DeliveryOutcome.Deferred => "deferred",
        _ => "bounced",
    };
}
