using EmailPipeline.Contracts;

namespace EmailPipeline.Queue.State;

/// <summary>
/// The Queue service's record of every message and recipient: SQLite by default, PostgreSQL when several
/// Queue replicas share it. Every write is idempotent: a redelivered broker message never duplicates state.
/// </summary>
public interface IQueueStore
{
    /// <summary>Creates the schema if missing.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Records a newly accepted message with all recipients Queued. False if the id is already known.</summary>
    Task<bool> AddMessageAsync(MessageAccepted message, CancellationToken cancellationToken);

    /// <summary>
    /// Records an attempt's outcomes (attempt rows, each recipient's last reply, attempt count) and sets each
    /// recipient's state: Delivered, Bounced, or Deferred. False if this AttemptId was already recorded — the
    /// caller then does nothing more. Recipients already final are left alone.
    /// </summary>
    Task<bool> RecordAttemptAsync(DeliveryAttempted attempt, CancellationToken cancellationToken);

    /// <summary>Sets the state (and next attempt time) of some recipients of a message; final states stay final
    /// unless <paramref name="state"/> is itself final and the recipient is not.</summary>
    Task SetStateAsync(string messageId, IReadOnlyCollection<string> recipients, RecipientState state, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken);

    /// <summary>
    /// After a retry was handed to delivery: Deferred → Queued, but only for recipients still waiting for the
    /// retry that was due at <paramref name="dueAt"/>. If that attempt's outcome was recorded first (deferred
    /// again, with a new due time) the recipient keeps its newer state, so no later retry is dropped.
    /// </summary>
    Task MarkRetryDispatchedAsync(string messageId, IReadOnlyCollection<string> recipients, DateTimeOffset dueAt, CancellationToken cancellationToken);

    Task<MessageRecord?> GetAsync(string messageId, CancellationToken cancellationToken);

    Task<IReadOnlyList<MessageRecord>> ListAsync(QueueFilter filter, CancellationToken cancellationToken);

    Task<IReadOnlyList<AttemptRecord>> GetAttemptsAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Operator flags, honoured by the Queue service when the message's retry comes due.</summary>
    Task<bool> SetHeldAsync(string messageId, bool held, CancellationToken cancellationToken);

    /// <summary>Marks a message (or every message when null) to be attempted as soon as its retry surfaces.</summary>
    Task<int> RequestFlushAsync(string? messageId, CancellationToken cancellationToken);

    Task ClearFlushAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Marks a message to be bounced (DSN) when its retry surfaces.</summary>
    Task<bool> RequestBounceAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Marks the delay DSN as sent so it is sent once per message.</summary>
    Task MarkDelayDsnSentAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Messages with recipients at <paramref name="domain"/> handed to delivery and not yet back (state
    /// Queued), other than <paramref name="exceptMessageId"/>: the destination's deliveries in flight, across all
    /// Delivery workers and Queue replicas sharing this store.</summary>
    Task<int> CountInFlightAsync(string domain, string exceptMessageId, CancellationToken cancellationToken);

    /// <summary>
    /// Excludes every other dispatcher sharing this store from <paramref name="domain"/>'s shaping decision until
    /// disposed: the count of deliveries in flight and the dispatch it allows must be one step, or two due retries
    /// both see a free slot and both go.
    /// </summary>
    Task<IAsyncDisposable> LockDestinationAsync(string domain, CancellationToken cancellationToken);

    /// <summary>Delivery attempts to <paramref name="domain"/> recorded since <paramref name="since"/>.</summary>
    Task<int> CountAttemptsSinceAsync(string domain, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>
    /// Applies one lifecycle decision and the outbox rows it causes in one transaction, if the message is still at
    /// <paramref name="expectedVersion"/> (null: the decision records a new message, which must not exist yet).
    /// False when another write came first: nothing was written, and the caller loads and decides again.
    /// </summary>
    Task<bool> ApplyAsync(string messageId, long? expectedVersion, Lifecycle.LifecycleDecision decision, IReadOnlyList<OutboxRow> outbox, CancellationToken cancellationToken);

    /// <summary>Outbox rows not yet dispatched: of one message, or the oldest of all when <paramref name="messageId"/> is null.</summary>
    Task<IReadOnlyList<OutboxRow>> GetOutboxAsync(string? messageId, int limit, CancellationToken cancellationToken);

    /// <summary>These rows were dispatched (confirmed by the broker); they are deleted with the next write.</summary>
    void MarkDispatched(IEnumerable<string> outboxIds);

    /// <summary>Deletes the rows marked dispatched now (when no write came along to do it).</summary>
    Task FlushDispatchedAsync(CancellationToken cancellationToken);

    /// <summary>Messages with a Deferred recipient due before <paramref name="deferredDueBefore"/> or a Queued one of a
    /// message received before <paramref name="queuedReceivedBefore"/>: candidates for the sweeper.</summary>
    Task<IReadOnlyList<string>> FindStrandedCandidatesAsync(DateTimeOffset deferredDueBefore, DateTimeOffset queuedReceivedBefore, int limit, CancellationToken cancellationToken);

    /// <summary>Counts of recipients per state (for metrics and the operator's summary).</summary>
    Task<IReadOnlyDictionary<RecipientState, long>> CountByStateAsync(CancellationToken cancellationToken);
}
