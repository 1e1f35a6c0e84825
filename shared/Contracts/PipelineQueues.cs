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
