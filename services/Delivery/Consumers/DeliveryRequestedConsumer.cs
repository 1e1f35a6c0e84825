using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Delivering;
using MassTransit;

namespace EmailPipeline.Delivery.Consumers;

/// <summary>
/// Delivers one request and publishes its outcome. The input is acknowledged only after Consume returns, that
/// is after the broker confirmed the DeliveryAttempted publish (publisher confirms are on, and the publish is
/// mandatory so an unrouted outcome is an error, not a silent confirm).
/// </summary>
public sealed class DeliveryRequestedConsumer(DeliveryService delivery, ILogger<DeliveryRequestedConsumer> logger) : IConsumer<DeliveryRequested>
{
    private static readonly TimeSpan[] PublishRetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10)];

    public async Task Consume(ConsumeContext<DeliveryRequested> context)
    {
        DeliveryAttempted attempted = await delivery.AttemptAsync(context.Message, context.CancellationToken).ConfigureAwait(false);

        // Only the publish is retried here: redelivering the request would deliver the message again.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await context.Publish(attempted, p => p.Mandatory = true, context.CancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt < PublishRetryDelays.Length && ex is not OperationCanceledException)
            {
                DeliveryLog.PublishFailed(logger, attempted.MessageId, ex.Message);
                await Task.Delay(PublishRetryDelays[attempt], context.CancellationToken).ConfigureAwait(false);
            }
        }
    }
}
