using EmailPipeline.Contracts;
using RabbitMQ.Client;

namespace EmailPipeline.ServiceDefaults;

/// <summary>
/// Broker objects that must exist before anyone publishes. A publisher confirm only says the broker took
/// the message, not that a queue got it; MassTransit creates a consumer's queue only when that consumer
/// starts. So the ingress declares the accepted-message queue itself, exactly as the Queue service's
/// MassTransit receive endpoint declares it (a quorum queue plus its fanout exchange, bound to the
/// message-type exchange), and also publishes with the mandatory flag.
/// </summary>
public static class PipelineTopology
{
    public static IDictionary<string, object?> QuorumQueueArguments => new Dictionary<string, object?>
    {
        ["x-queue-type"] = "quorum",
    };

    public static Task DeclareAcceptedQueueAsync(IChannel channel, CancellationToken cancellationToken) =>
        DeclareConsumerQueueAsync(channel, PipelineQueues.Accepted, PipelineQueues.AcceptedExchange, cancellationToken);

    /// <summary>
    /// Declares a consumer's queue the way MassTransit's receive endpoint does (quorum queue, a fanout
    /// exchange of the same name bound to it, the message-type exchange bound to that), so a publisher can
    /// make sure its messages have somewhere to go before the consumer ever started.
    /// </summary>
    public static async Task DeclareConsumerQueueAsync(IChannel channel, string queue, string messageExchange, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(messageExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: QuorumQueueArguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueBindAsync(queue, queue, routingKey: "", cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.ExchangeBindAsync(destination: queue, source: messageExchange, routingKey: "", cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One delay step: a quorum queue whose fixed message TTL dead-letters (at-least-once, so the hop cannot
    /// lose a message) into the retry-due queue, and a fanout exchange of the same name to send into it.
    /// One queue per step because per-message TTLs expire only at the head of a queue.
    /// </summary>
    public static async Task DeclareDelayQueueAsync(IChannel channel, string name, TimeSpan delay, CancellationToken cancellationToken)
    {
        var arguments = new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-message-ttl"] = (long)delay.TotalMilliseconds,
            ["x-dead-letter-exchange"] = "",
            ["x-dead-letter-routing-key"] = PipelineQueues.RetryDue,
            ["x-dead-letter-strategy"] = "at-least-once",
            ["x-overflow"] = "reject-publish",
        };
        await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueBindAsync(name, name, routingKey: "", cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
