namespace EmailPipeline.Contracts;

/// <summary>
/// Event from a Delivery worker: what happened to each recipient of one <see cref="DeliveryRequested"/>.
/// When any recipient was deferred, <see cref="Content"/> carries the message back so the Queue service
/// can schedule the retry without another copy of the body anywhere.
/// </summary>
public sealed record DeliveryAttempted
{
    public required string MessageId { get; init; }

    public required string AttemptId { get; init; }

    public required string Destination { get; init; }

    public required int AttemptNumber { get; init; }

    public required DateTimeOffset AttemptedAt { get; init; }

    public required IReadOnlyList<RecipientOutcome> Outcomes { get; init; }

    /// <summary>The message content when at least one recipient was deferred; otherwise null.</summary>
    public byte[]? Content { get; init; }
}

/// <summary>One recipient's result with the reply that decided it (RFC 3464 fields for the DSN).</summary>
/// <param name="Recipient">The forward-path.</param>
/// <param name="Outcome">Delivered, deferred (4xx, connection or DNS trouble) or bounced (5xx).</param>
/// <param name="ReplyCode">The SMTP/LMTP reply code, or 0 when no reply was had (e.g. connection refused).</param>
/// <param name="EnhancedStatus">RFC 3463 code, e.g. "5.1.1"; synthesised ("4.4.1") when the peer gave none.</param>
/// <param name="Diagnostic">The remote reply text or our description of the failure.</param>
/// <param name="RemoteHost">The host that answered (MX name or transport target), or null.</param>
public sealed record RecipientOutcome(
    string Recipient,
    DeliveryOutcome Outcome,
    int ReplyCode,
    string EnhancedStatus,
    string Diagnostic,
    string? RemoteHost);

public enum DeliveryOutcome
{
    Delivered = 0,
    Deferred = 1,
    Bounced = 2,
}
