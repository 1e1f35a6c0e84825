using EmailPipeline.Contracts;

namespace EmailPipeline.Queue.Lifecycle;

/// <summary>One thing that happened to a message: what <see cref="RecipientLifecycle.Decide"/> reacts to.</summary>
public abstract record LifecycleInput
{
    /// <summary>The message the input is about.</summary>
    public abstract string MessageId { get; }

    /// <summary>The message as accepted by the ingress (or a DSN the Queue made). A second copy is a duplicate.</summary>
    public sealed record Accepted(MessageAccepted Message) : LifecycleInput
    {
        public override string MessageId => Message.MessageId;
    }

    /// <summary>A Delivery worker's outcomes for the work it was given (or the operator's, from a purged dead letter).</summary>
    public sealed record Attempted(DeliveryAttempted Attempt) : LifecycleInput
    {
        public override string MessageId => Attempt.MessageId;
    }

    /// <summary>A deferred delivery surfaced from a delay queue.</summary>
    public sealed record RetryDue(DeliveryRetryDue Retry) : LifecycleInput
    {
        public override string MessageId => Retry.Request.MessageId;
    }

    /// <summary>The sweeper found recipients of this message whose live work is overdue past every bound.</summary>
    public sealed record Swept(string Message) : LifecycleInput
    {
        public override string MessageId => Message;
    }
}
