using EmailPipeline.Delivery.Configuration;
using MassTransit;

namespace EmailPipeline.Delivery.Consumers;

/// <summary>
/// The delivery-requested endpoint: concurrency and prefetch both Delivery:MaxConcurrentDeliveries, so no
/// request waits unacknowledged behind a slow one (each body may be up to the SIZE limit). No message retry:
/// a redelivered request would deliver twice; failures of a host are outcomes, and the Queue service retries.
/// </summary>
public sealed class DeliveryRequestedConsumerDefinition : ConsumerDefinition<DeliveryRequestedConsumer>
{
    private readonly int _concurrency;

    public DeliveryRequestedConsumerDefinition(IConfiguration configuration)
    {
        // Read raw, not through IOptions: MassTransit builds this on its own thread, and a validation failure
        // there would crash the process instead of the clear start-up report ValidateOnStart gives.
        int configured = configuration.GetValue($"{DeliveryOptions.Section}:{nameof(DeliveryOptions.MaxConcurrentDeliveries)}", new DeliveryOptions().MaxConcurrentDeliveries);
        _concurrency = Math.Clamp(configured, 1, 500);
        EndpointName = DeliveryQueues.Delivery;
        ConcurrentMessageLimit = _concurrency;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<DeliveryRequestedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = _concurrency;
        }
    }
}
