namespace EmailPipeline.Queue.State;

/// <summary>
/// A message a decision causes, committed in the same transaction as the decision and dispatched after it
/// (mandatory, confirmed). Rows that carry work for a Delivery worker store it without the body: the body
/// lives in the broker, in the input being consumed, which is acknowledged only after its rows are dispatched.
/// </summary>
/// <param name="Id">Unique; also the dispatched message's id, so a row dispatched twice is recognised downstream.</param>
/// <param name="MessageId">The queue id the row belongs to.</param>
/// <param name="Kind">What to send, and how.</param>
/// <param name="Address">The delay queue for <see cref="OutboxKind.Delay"/>; empty otherwise (published by type).</param>
/// <param name="NeedsContent">The payload's body is to be filled in from the input at dispatch.</param>
/// <param name="Payload">The message as JSON.</param>
/// <param name="CreatedAt">When the decision was committed.</param>
public sealed record OutboxRow(string Id, string MessageId, OutboxKind Kind, string Address, bool NeedsContent, string Payload, DateTimeOffset CreatedAt);

public enum OutboxKind
{
    /// <summary>A DeliveryRequested, published to the delivery queue.</summary>
    Deliver = 1,

    /// <summary>A DeliveryRetryDue, sent into one delay queue.</summary>
    Delay = 2,

    /// <summary>A DSN as a MessageAccepted from the null sender, published to the accepted queue.</summary>
    Notify = 3,
}
