using EmailPipeline.Contracts;
using EmailPipeline.Queue.Lifecycle;
using MassTransit;

namespace EmailPipeline.Queue.Consumers;

/// <summary>Records a newly accepted message and hands its recipients to delivery, one request per destination
/// (<see cref="RecipientLifecycle"/>). A second copy of the message is a duplicate and changes nothing.</summary>
internal sealed class MessageAcceptedConsumer(LifecycleRunner lifecycle) : IConsumer<MessageAccepted>
{
    public Task Consume(ConsumeContext<MessageAccepted> context)
    {
        MessageAccepted m = MalformedInputException.Check(context.Message);
        return lifecycle.RunAsync(context, new LifecycleInput.Accepted(m), m.Content);
    }
}

internal sealed class MessageAcceptedConsumerDefinition : ConsumerDefinition<MessageAcceptedConsumer>
{
    public MessageAcceptedConsumerDefinition() => EndpointName = PipelineQueues.Accepted;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<MessageAcceptedConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseLifecycleRetry();
}
