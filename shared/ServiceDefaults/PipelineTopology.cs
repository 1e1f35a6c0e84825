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
    /// <summary>
    /// How often the broker hands out one message before it gives up on it. RabbitMQ 4 gives every quorum
    /// queue a limit of 20 and then drops the message unless the queue has a dead-letter target: a message
    /// that keeps killing its consumer, or one caught in many restarts, would vanish. Ours is explicit, and
    /// past it the message is dead-lettered (at least once) into the queue's MassTransit error queue, where
    /// <c>emailpipeline deadletters</c> lists and replays it. A faulting consumer never counts here:
    /// MassTransit moves its message to the error queue itself.
    /// </summary>
    public const int DeliveryLimit = 50;

    /// <summary>The arguments of every consumer queue, identical wherever it is declared (a difference is a
    /// PRECONDITION_FAILED from the broker): by a publisher in advance and by MassTransit's receive endpoint.</summary>
    public static IReadOnlyDictionary<string, object> ConsumerQueueArguments(string queue) => new Dictionary<string, object>
    {
        ["x-queue-type"] = "quorum",
        ["x-delivery-limit"] = DeliveryLimit,
        ["x-dead-letter-exchange"] = "",
        ["x-dead-letter-routing-key"] = ErrorQueueOf(queue),
        ["x-dead-letter-strategy"] = "at-least-once",
        ["x-overflow"] = "reject-publish", // at-least-once dead-lettering requires it; no length limit is set
    };

    /// <summary>Consumer-queue arguments the error queue must not inherit (MassTransit copies them over).</summary>
    public static IReadOnlyList<string> NotForErrorQueues { get; } =
        ["x-delivery-limit", "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-dead-letter-strategy", "x-overflow"];

    /// <summary>MassTransit's name for a receive endpoint's error queue.</summary>
    public static string ErrorQueueOf(string queue) => queue + "_error";

    public static Task DeclareAcceptedQueueAsync(IChannel channel, CancellationToken cancellationToken) =>
        DeclareConsumerQueueAsync(channel, PipelineQueues.Accepted, PipelineQueues.AcceptedExchange, cancellationToken);

    /// <summary>
    /// Declares a consumer's queue the way MassTransit's receive endpoint does (quorum queue, a fanout
    /// exchange of the same name bound to it, the message-type exchange bound to that), so a publisher can
    /// make sure its messages have somewhere to go before the consumer ever started; and its error queue,
    /// which must exist before the first message is dead-lettered into it. Without a message exchange the queue
    /// takes only what is sent to it by name (a lane such as <c>delivery-requested-large</c>), never a publish.
    /// </summary>
    public static async Task DeclareConsumerQueueAsync(IChannel channel, string queue, string? messageExchange, CancellationToken cancellationToken)
    {
        string error = ErrorQueueOf(queue);
        await channel.ExchangeDeclareAsync(error, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(error, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueBindAsync(error, error, routingKey: "", cancellationToken: cancellationToken).ConfigureAwait(false);

        await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: ConsumerQueueArguments(queue).ToDictionary(a => a.Key, a => (object?)a.Value), cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueBindAsync(queue, queue, routingKey: "", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (messageExchange is not null)
        {
            await channel.ExchangeDeclareAsync(messageExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.ExchangeBindAsync(destination: queue, source: messageExchange, routingKey: "", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
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
