using EmailPipeline.Contracts;
using EmailPipeline.Queue.Lifecycle;
using MassTransit;

namespace EmailPipeline.Queue.Consumers;

/// <summary>A deferred delivery surfaced from a delay queue: it goes to delivery when due, takes its next hop when
/// not, circles while held, and ends with a DSN when bounced by the operator or expired
/// (<see cref="RecipientLifecycle"/>). A copy whose work is no longer live is dropped.</summary>
internal sealed class RetryDueConsumer(LifecycleRunner lifecycle) : IConsumer<DeliveryRetryDue>
{
    public Task Consume(ConsumeContext<DeliveryRetryDue> context)
    {
        DeliveryRetryDue m = MalformedInputException.Check(context.Message);
        return lifecycle.RunAsync(context, new LifecycleInput.RetryDue(m), m.Request.Content);
    }
}

internal sealed class RetryDueConsumerDefinition : ConsumerDefinition<RetryDueConsumer>
{
    public RetryDueConsumerDefinition() => EndpointName = PipelineQueues.RetryDue;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<RetryDueConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseLifecycleRetry();
}
