using EmailPipeline.Contracts;
using EmailPipeline.Queue.Scheduling;
using EmailPipeline.ServiceDefaults;
using RabbitMQ.Client;

namespace EmailPipeline.Queue.Topology;

/// <summary>
/// Every queue the Queue service sends to, declared before anything is published: the delivery work
/// queues (small and large lanes), its own queues (accepted messages, outcomes, retries due) and the delay ladder. The retry-due
/// queue comes before the delay queues, so a dead-lettered retry always has somewhere to land.
/// </summary>
internal static class QueueTopology
{
    public static Func<IChannel, CancellationToken, Task> DeclareAsync(DelayLadder ladder) => async (channel, ct) =>
    {
        await PipelineTopology.DeclareAcceptedQueueAsync(channel, ct).ConfigureAwait(false);
        await PipelineTopology.DeclareConsumerQueueAsync(channel, PipelineQueues.Delivery, PipelineQueues.ExchangeOf<DeliveryRequested>(), ct).ConfigureAwait(false);
        await PipelineTopology.DeclareConsumerQueueAsync(channel, PipelineQueues.DeliveryLarge, messageExchange: null, ct).ConfigureAwait(false);
        await PipelineTopology.DeclareConsumerQueueAsync(channel, PipelineQueues.DeliveryResults, PipelineQueues.ExchangeOf<DeliveryAttempted>(), ct).ConfigureAwait(false);
        await PipelineTopology.DeclareConsumerQueueAsync(channel, PipelineQueues.RetryDue, PipelineQueues.ExchangeOf<DeliveryRetryDue>(), ct).ConfigureAwait(false);
        foreach (TimeSpan step in ladder.Steps)
        {
            await PipelineTopology.DeclareDelayQueueAsync(channel, DelayLadder.QueueName(step), step, ct).ConfigureAwait(false);
        }
    };
}
