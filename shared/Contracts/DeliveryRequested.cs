namespace EmailPipeline.Contracts;

/// <summary>
/// Command from the Queue service to a Delivery worker: deliver one message to one destination (a
/// domain, or what the transport map makes of it) for the recipients listed. The content travels along:
/// the broker is the spool. Published to the delivery work queue; exactly one worker takes it.
/// </summary>
public sealed record DeliveryRequested
{
    public required string MessageId { get; init; }

    /// <summary>Unique per attempt; echoed in <see cref="DeliveryAttempted"/> so a redelivered request or a
    /// duplicate outcome is recognised.</summary>
    public required string AttemptId { get; init; }

    /// <summary>The recipient domain (lower-case ASCII) all <see cref="Recipients"/> share.</summary>
    public required string Destination { get; init; }

    /// <summary>The reverse-path; empty for the null sender (DSNs).</summary>
    public required string Sender { get; init; }

    public required IReadOnlyList<EnvelopeRecipient> Recipients { get; init; }

    public string? EnvelopeId { get; init; }

    public DsnReturn Return { get; init; }

    public BodyType Body { get; init; }

    public bool SmtpUtf8 { get; init; }

    /// <summary>1 for the first attempt.</summary>
    public int AttemptNumber { get; init; } = 1;

    /// <summary>The message bytes exactly as accepted (with our Received: header); sent unchanged.</summary>
    public required byte[] Content { get; init; }

    public string? TraceParent { get; init; }
}
