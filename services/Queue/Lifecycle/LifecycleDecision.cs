using EmailPipeline.Contracts;
using EmailPipeline.Queue.Dsn;
using EmailPipeline.Queue.State;

namespace EmailPipeline.Queue.Lifecycle;

/// <summary>
/// What one input does: the recipients' new states, the attempt rows to record, the message's flags, and the
/// work and DSNs it causes. Applied in one transaction together with the outbox rows for <see cref="Outputs"/>.
/// </summary>
public sealed record LifecycleDecision
{
    public static LifecycleDecision Nothing(string why) => new() { Why = why };

    /// <summary>Record the accepted message (all recipients as <see cref="Changes"/> say).</summary>
    public MessageAccepted? NewMessage { get; init; }

    public IReadOnlyList<RecipientChange> Changes { get; init; } = [];

    /// <summary>The attempt's per-recipient rows (history), only for recipients whose live work it was.</summary>
    public IReadOnlyList<AttemptRecord> Attempts { get; init; } = [];

    public IReadOnlyList<LifecycleOutput> Outputs { get; init; } = [];

    /// <summary>The operator's flush has been honoured.</summary>
    public bool ClearFlush { get; init; }

    /// <summary>Why nothing changed (a duplicate, a stale retry, an unknown message); null when something did.</summary>
    public string? Why { get; init; }

    public bool ChangesAnything => NewMessage is not null || Changes.Count > 0 || Attempts.Count > 0 || Outputs.Count > 0 || ClearFlush;
}

/// <summary>One recipient's new state. <paramref name="Expected"/> is the state and work id it was decided from: the
/// store applies the change only if both are unchanged (another input won the race otherwise, and the decision is
/// made again).</summary>
public sealed record RecipientChange(
    string Address,
    RecipientState State,
    string? WorkId,
    DateTimeOffset? NextAttemptAt,
    DsnKinds DsnSent,
    RecipientReply? Reply = null);

/// <summary>The reply that decided a recipient's state (the last one shown by the operator's tools and in DSNs).</summary>
public sealed record RecipientReply(int Code, string EnhancedStatus, string Diagnostic, string? RemoteHost);

/// <summary>Work or mail an input causes. Each becomes an outbox row committed with the decision.</summary>
public abstract record LifecycleOutput
{
    /// <summary>Hand these recipients (one destination) to a Delivery worker as attempt <paramref name="AttemptId"/>.</summary>
    public sealed record Deliver(string Destination, string AttemptId, int AttemptNumber, IReadOnlyList<EnvelopeRecipient> Recipients) : LifecycleOutput;

    /// <summary>Put attempt <paramref name="AttemptId"/> on its next hop through the delay queue of <paramref name="Hop"/>.</summary>
    public sealed record Delay(string Destination, string AttemptId, int AttemptNumber, IReadOnlyList<EnvelopeRecipient> Recipients, DateTimeOffset DueAt, TimeSpan Hop) : LifecycleOutput;

    /// <summary>Send a DSN of <paramref name="Kind"/> about these recipients to the message's sender.</summary>
    public sealed record Notify(DsnKind Kind, IReadOnlyList<DsnRecipient> Recipients) : LifecycleOutput;
}

/// <summary>DSNs already sent for one recipient: each kind at most once.</summary>
[Flags]
public enum DsnKinds
{
    None = 0,
    Failure = 1,
    Delay = 2,
    Success = 4,
}
