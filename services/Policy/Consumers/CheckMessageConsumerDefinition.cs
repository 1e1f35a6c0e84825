using EmailPipeline.Contracts;
using MassTransit;

namespace EmailPipeline.Policy.Consumers;

/// <summary>
/// The request queue every Policy instance shares (<see cref="PipelineQueues.PolicyCheck"/>, a quorum queue like every
/// endpoint of the pipeline bus). No retries: the ingress waits a bounded time for the answer, and a check that threw
/// once (a bug, not DNS: DNS failures are results) would only throw again; the fault reaches the ingress at once,
/// which then fails closed (451) or open as configured.
/// </summary>
public sealed class CheckMessageConsumerDefinition : ConsumerDefinition<CheckMessageConsumer>
{
    public CheckMessageConsumerDefinition()
    {
        EndpointName = PipelineQueues.PolicyCheck;

        // Checks wait on DNS, not CPU: many can be in flight on one instance.
        ConcurrentMessageLimit = 64;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CheckMessageConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.UseMessageRetry(r => r.None());
    }
}
