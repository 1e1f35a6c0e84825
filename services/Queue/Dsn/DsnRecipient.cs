namespace EmailPipeline.Queue.Dsn;

/// <summary>One recipient's per-recipient fields of a DSN (RFC 3464 §2.3).</summary>
/// <param name="Address">Final-Recipient (rfc822).</param>
/// <param name="OriginalRecipient">ORCPT as given ("rfc822;addr"), echoed as Original-Recipient.</param>
/// <param name="Status">RFC 3463 code, e.g. 5.1.1.</param>
/// <param name="RemoteHost">Remote-MTA, when a server answered.</param>
/// <param name="ReplyCode">The SMTP reply code (0 when there was none).</param>
/// <param name="Diagnostic">The remote reply text or our description.</param>
/// <param name="LastAttempt">Last-Attempt-Date.</param>
/// <param name="WillRetryUntil">Will-Retry-Until (delay DSNs).</param>
public sealed record DsnRecipient(
    string Address,
    string? OriginalRecipient,
    string Status,
    string? RemoteHost,
    int ReplyCode,
    string Diagnostic,
    DateTimeOffset LastAttempt,
    DateTimeOffset? WillRetryUntil);
