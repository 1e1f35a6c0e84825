namespace EmailPipeline.Contracts;

/// <summary>
/// The ingress accepted a message: it is now durably owned by the pipeline. Published only after the
/// policy verdict allowed it; the ingress replies 250 only after the broker confirmed this message.
/// </summary>
public sealed record MessageAccepted
{
    /// <summary>The sortable queue id, also shown to the client in "250 2.0.0 Ok: queued as &lt;id&gt;".</summary>
    public required string MessageId { get; init; }

    public required Envelope Envelope { get; init; }

    public required SessionFacts Session { get; init; }

    /// <summary>When the end of DATA (or BDAT LAST) was received.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The message exactly as received (dot-unstuffed), with our Received: header (and any policy
    /// headers) prepended. Delivery sends these bytes unchanged so DKIM signatures keep verifying.</summary>
    public required byte[] Content { get; init; }

    /// <summary>Set when the policy verdict asked for quarantine (DMARC p=quarantine); routing may act on it.</summary>
    public bool Quarantined { get; init; }

    /// <summary>W3C traceparent of the SMTP session's activity; MassTransit also propagates it in headers.</summary>
    public string? TraceParent { get; init; }
}
