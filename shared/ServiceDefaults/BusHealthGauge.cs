using System.Diagnostics.Metrics;
using MassTransit;

namespace EmailPipeline.ServiceDefaults;

/// <summary>
/// "emailpipeline.bus.connected" (Meter "EmailPipeline.&lt;Part&gt;"): 1 while MassTransit's bus reaches the broker
/// (healthy or degraded), 0 while it does not. The BrokerUnreachable alert watches it, so a broker the services
/// cannot reach is noticed even when the broker itself still answers its own scrapes.
/// </summary>
public sealed class BusHealthGauge
{
    public BusHealthGauge(IMeterFactory meterFactory, IBusControl bus, string meterName)
    {
        Meter meter = meterFactory.Create(meterName);
        meter.CreateObservableGauge(
            "emailpipeline.bus.connected",
            () => bus.CheckHealth().Status == BusHealthStatus.Unhealthy ? 0 : 1,
            "{connection}",
            "1 while the service's message bus is connected to RabbitMQ, 0 while it is not");
    }
}
