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
    }

    public void Attempted(string destination, string transport, IReadOnlyList<RecipientOutcome> outcomes, TimeSpan elapsed)
    {
        foreach (var group in outcomes.GroupBy(o => o.Outcome))
        {
            _recipients.Add(group.Count(), new("outcome", OutcomeName(group.Key)), new("destination", destination), new("transport", transport));
        }

        _attemptDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("transport", transport));
    }

    public void CircuitChanged(string state) => _circuitChanges.Add(1, new KeyValuePair<string, object?>("state", state));

    public void Connected(bool tls, string transport) => _connections.Add(1, new("tls", tls), new("transport", transport));

    public void Reused(string transport) => _reused.Add(1, new KeyValuePair<string, object?>("transport", transport));

    private static string OutcomeName(DeliveryOutcome outcome) => outcome switch
    {
        DeliveryOutcome.Delivered => "delivered",
        DeliveryOutcome.Deferred => "deferred",
        _ => "bounced",
    };
}
