using EmailPipeline.Contracts;
using EmailPipeline.Queue.Lifecycle;
using MassTransit;

namespace EmailPipeline.Queue.Consumers;

/// <summary>Takes a delivery attempt's outcomes to each recipient's next state (<see cref="RecipientLifecycle"/>):
/// delivered, bounced, expired, or deferred into the delay queues, with the DSNs NOTIFY asks for.</summary>
internal sealed class DeliveryAttemptedConsumer(LifecycleRunner lifecycle) : IConsumer<DeliveryAttempted>
{
    public Task Consume(ConsumeContext<DeliveryAttempted> context)
    {
        DeliveryAttempted m = MalformedInputException.Check(context.Message);
        return lifecycle.RunAsync(context, new LifecycleInput.Attempted(m), m.Content);
    }
}

internal sealed class DeliveryAttemptedConsumerDefinition : ConsumerDefinition<DeliveryAttemptedConsumer>
{
    public DeliveryAttemptedConsumerDefinition() => EndpointName = PipelineQueues.DeliveryResults;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DeliveryAttemptedConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseLifecycleRetry();
}
