namespace EmailPipeline.Contracts;

/// <summary>Request from the ingress to the policy service, sent before the end of DATA is answered.</summary>
public sealed record CheckMessage
{
    public required string MessageId { get; init; }

    public required Envelope Envelope { get; init; }

    public required SessionFacts Session { get; init; }

    /// <summary>The message as received, before our Received: header.</summary>
    public required byte[] Content { get; init; }
}

/// <summary>The policy service's answer to <see cref="CheckMessage"/>.</summary>
/// <param name="Action">Accept, reject (5xx) or tempfail (4xx).</param>
/// <param name="ReplyCode">The SMTP reply code to send when not accepted (e.g. 550, 451).</param>
/// <param name="EnhancedStatus">The RFC 3463 code for the reply, e.g. "5.7.1".</param>
/// <param name="ReplyText">Short reply text; never contains CR or LF.</param>
/// <param name="HeadersToPrepend">Complete header fields (e.g. Authentication-Results:) ending in CRLF.</param>
/// <param name="Quarantine">Accept but mark for quarantine.</param>
/// <param name="AuthServId">The policy service's authserv-id (RFC 8601): the ingress removes incoming
/// Authentication-Results fields that claim it. Null (older policy services) removes none.</param>
public sealed record PolicyVerdict(
    PolicyAction Action,
    int ReplyCode,
    string EnhancedStatus,
    string ReplyText,
    string HeadersToPrepend,
    bool Quarantine,
    string? AuthServId = null);

public enum PolicyAction
{
    Accept = 0,
    Reject = 1,
    TempFail = 2,
}
