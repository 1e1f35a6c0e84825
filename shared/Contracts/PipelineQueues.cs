namespace EmailPipeline.Contracts;

/// <summary>
/// The names of the queues the services share. The ingress declares <see cref="Accepted"/> before it opens
/// its listeners so a confirmed publish is always a routed one, even before the Queue service ever ran.
/// </summary>
public static class PipelineQueues
{
    /// <summary>Quorum queue consumed by the Queue service; bound to the MessageAccepted exchange.</summary>
    public const string Accepted = "queue-message-accepted";

    /// <summary>The MassTransit message-type exchange of <see cref="MessageAccepted"/>.</summary>
    public static readonly string AcceptedExchange = $"{typeof(MessageAccepted).Namespace}:{nameof(MessageAccepted)}";

    /// <summary>Delivery workers' work queue (<see cref="DeliveryRequested"/>).</summary>
    public const string Delivery = "delivery-requested";

    /// <summary>
    /// The delivery lane of large messages: a request whose content exceeds <see cref="LargeContentBytes"/> is
    /// sent here instead of <see cref="Delivery"/>. A worker holds every request it has taken in memory (the broker
    /// is the spool), so it takes many small ones at once and only as many large ones as its memory allows.
    /// </summary>
    public const string DeliveryLarge = "delivery-requested-large";

    /// <summary>Content above this many bytes travels in <see cref="DeliveryLarge"/>. Fixed, not configured: the
    /// Queue (which sends) and every Delivery worker (which budgets memory by it) must agree.</summary>
    public const int LargeContentBytes = 1024 * 1024;

    /// <summary>The delivery work queue for content of this size.</summary>
    public static string DeliveryQueueFor(int contentBytes) => contentBytes > LargeContentBytes ? DeliveryLarge : Delivery;

    /// <summary>The Queue service's queue of <see cref="DeliveryAttempted"/> outcomes.</summary>
    public const string DeliveryResults = "queue-delivery-attempted";

    /// <summary>Where delay queues dead-letter <see cref="DeliveryRetryDue"/> messages when their time is up.</summary>
    public const string RetryDue = "queue-retry-due";

    /// <summary>Prefix of the per-delay queues (e.g. "queue-delay-300s").</summary>
    public const string DelayPrefix = "queue-delay-";

    /// <summary>The MassTransit message-type exchange of a contract.</summary>
    public static string ExchangeOf<T>() => $"{typeof(T).Namespace}:{typeof(T).Name}";

    /// <summary>Where the policy service listens for <see cref="CheckMessage"/> requests.</summary>
    public const string PolicyCheck = "policy-check-message";
}
