namespace EmailPipeline.Contracts;

/// <summary>
/// A deferred delivery waiting in the Queue service's delay queues. It rides a per-delay queue whose
/// message TTL dead-letters it into the retry-due queue, possibly several hops until <see cref="DueAt"/>.
/// </summary>
/// <param name="Request">The next attempt, ready to publish (its recipients are those still deferred).</param>
/// <param name="DueAt">When the attempt is due.</param>
public sealed record DeliveryRetryDue(DeliveryRequested Request, DateTimeOffset DueAt);
