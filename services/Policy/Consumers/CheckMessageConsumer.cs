using EmailPipeline.Contracts;
using EmailPipeline.Policy.Checks;
using MassTransit;

namespace EmailPipeline.Policy.Consumers;

/// <summary>Answers the ingress's verdict request. The checks live in <see cref="MessagePolicy"/>.</summary>
public sealed class CheckMessageConsumer(MessagePolicy policy) : IConsumer<CheckMessage>
{
    public async Task Consume(ConsumeContext<CheckMessage> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        PolicyVerdict verdict = await policy.DecideAsync(context.Message, context.CancellationToken).ConfigureAwait(false);
        await context.RespondAsync(verdict).ConfigureAwait(false);
    }
}
