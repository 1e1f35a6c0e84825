using EmailPipeline.Contracts;

namespace EmailPipeline.Queue.State;

/// <summary>One recipient as the store keeps it, with the last reply that decided its state.</summary>
public sealed record RecipientRecord(
    string MessageId,
    string Address,
    string Domain,
    DsnNotify Notify,
    string? OriginalRecipient,
    RecipientState State,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    int? LastReplyCode,
    string? LastEnhancedStatus,
    string? LastDiagnostic,
    string? LastRemoteHost,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The id of the one piece of live work for this recipient: the AttemptId of the delivery in flight
    /// (Queued) or of the retry waiting in the delay queues (Deferred). Outcomes and retries carrying another id are
    /// stale. Null for final states and for records written before work ids existed.</summary>
    public string? WorkId { get; init; }

    /// <summary>The DSNs already sent for this recipient.</summary>
    public Lifecycle.DsnKinds DsnSent { get; init; }
}

/// <summary>One message as the store keeps it (no body: the body lives in the broker).</summary>
public sealed record MessageRecord(
    string MessageId,
    string Sender,
    string? EnvelopeId,
    DsnReturn Return,
    bool SmtpUtf8,
    DateTimeOffset ReceivedAt,
    long Size,
    bool Held,
    bool FlushRequested,
    bool BounceRequested,
    bool DelayDsnSent,
    IReadOnlyList<RecipientRecord> Recipients)
{
    /// <summary>Moves with every write to the message or its recipients: a decision is applied only over the state
    /// it was made from.</summary>
    public long Version { get; init; }
}

/// <summary>One delivery attempt's result for one recipient.</summary>
public sealed record AttemptRecord(
    string MessageId,
    string AttemptId,
    int AttemptNumber,
    string Recipient,
    DeliveryOutcome Outcome,
    int ReplyCode,
    string EnhancedStatus,
    string Diagnostic,
    string? RemoteHost,
    DateTimeOffset AttemptedAt);

/// <summary>What the operator's list command filters on. Null means "any".</summary>
public sealed record QueueFilter
{
    public string? Sender { get; init; }

    public string? Recipient { get; init; }

    public string? Domain { get; init; }

    public RecipientState? State { get; init; }

    /// <summary>Only messages received at least this long ago.</summary>
    public TimeSpan? OlderThan { get; init; }

    /// <summary>Include messages whose recipients are all final (default: only messages still in the queue).</summary>
    public bool IncludeFinished { get; init; }

    public int Limit { get; init; } = 1000;
}
