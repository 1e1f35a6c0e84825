using System.Diagnostics;
using System.Diagnostics.Metrics;
using EmailPipeline.Queue.Dsn;
using EmailPipeline.Queue.State;

namespace EmailPipeline.Queue.Telemetry;

/// <summary>The Queue service's instruments (Meter and ActivitySource "EmailPipeline.Queue").</summary>
public sealed class QueueMetrics
{
    public const string Name = "EmailPipeline.Queue";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _dispatched;
    private readonly Counter<long> _outcomes;
    private readonly Counter<long> _dsns;
    private readonly Counter<long> _shaped;
    private readonly Counter<long> _unroutable;
    private readonly Histogram<double> _endToEnd;
    private IReadOnlyDictionary<RecipientState, long> _states = new Dictionary<RecipientState, long>();

    public QueueMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(Name);
        _accepted = meter.CreateCounter<long>("emailpipeline.queue.messages.recorded", "{message}", "Accepted messages recorded by the queue");
        _dispatched = meter.CreateCounter<long>("emailpipeline.queue.recipients.dispatched", "{recipient}", "Recipients sent to delivery, by destination");
        _outcomes = meter.CreateCounter<long>("emailpipeline.queue.recipients.outcomes", "{recipient}", "Recipient outcomes: delivered, deferred, bounced, expired");
        _shaped = meter.CreateCounter<long>("emailpipeline.queue.deliveries.shaped", "{delivery}", "Deliveries held back one delay step by a destination's concurrency or rate limit");
        _unroutable = meter.CreateCounter<long>("emailpipeline.queue.publish.unroutable", "{message}",
            "Publishes the broker returned unroutable (a deleted queue); the input is retried after the topology is declared again");
        // Exported from the start at 0: the PublishUnroutable alert's increase() needs the series before the first one.
        _unroutable.Add(0);
        _dsns = meter.CreateCounter<long>("emailpipeline.queue.dsn.sent", "{message}", "DSNs generated, by kind");
        _endToEnd = meter.CreateHistogram<double>("emailpipeline.queue.delivery.latency", "s", "Time from acceptance to delivery of a recipient",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] });
        meter.CreateObservableGauge("emailpipeline.queue.recipients", ObserveStates, "{recipient}", "Recipients in the store by state");
    }

    public void Recorded() => _accepted.Add(1);

    public void Dispatched(string destination, int recipients) => _dispatched.Add(recipients, new KeyValuePair<string, object?>("destination", destination));

    public void Outcome(string outcome, string destination) =>
        _outcomes.Add(1, new("outcome", outcome), new("destination", destination));

    public void Delivered(string destination, TimeSpan sinceAccepted)
    {
        Outcome("delivered", destination);
        _endToEnd.Record(sinceAccepted.TotalSeconds, new KeyValuePair<string, object?>("destination", destination));
    }

    public void Shaped(string destination) => _shaped.Add(1, new KeyValuePair<string, object?>("destination", destination));

    public void DsnSent(DsnKind kind) => _dsns.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString().ToLowerInvariant()));

    public void Unroutable() => _unroutable.Add(1);

    public void UpdateStates(IReadOnlyDictionary<RecipientState, long> states) => _states = states;

    private IEnumerable<Measurement<long>> ObserveStates() =>
        _states.Select(s => new Measurement<long>(s.Value, new KeyValuePair<string, object?>("state", s.Key.ToString().ToLowerInvariant())));
}
