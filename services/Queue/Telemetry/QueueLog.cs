namespace EmailPipeline.Queue;

internal static partial class QueueLog
{
    [LoggerMessage(2001, LogLevel.Information, "Recorded {MessageId} from {Sender} for {RecipientCount} recipients")]
    public static partial void Recorded(ILogger logger, string messageId, string sender, int recipientCount);

    [LoggerMessage(2002, LogLevel.Information, "Redelivered {MessageId}: dispatching {RecipientCount} recipients still queued")]
    public static partial void Redelivered(ILogger logger, string messageId, int recipientCount);

    [LoggerMessage(2003, LogLevel.Information, "{MessageId} to {Recipient}: {Outcome} {Code} {Status} via {Host}")]
    public static partial void Outcome(ILogger logger, string messageId, string recipient, string outcome, int code, string status, string? host);

    [LoggerMessage(2004, LogLevel.Information, "{MessageId}: {RecipientCount} recipients deferred until {DueAt:o} (attempt {Attempt})")]
    public static partial void Deferred(ILogger logger, string messageId, int recipientCount, DateTimeOffset dueAt, int attempt);

    [LoggerMessage(2005, LogLevel.Information, "Sent {Kind} DSN for {MessageId} as {DsnId} covering {RecipientCount} recipients")]
    public static partial void DsnSent(ILogger logger, string kind, string messageId, string dsnId, int recipientCount);

    [LoggerMessage(2006, LogLevel.Warning, "Outcome for unknown message {MessageId} ignored")]
    public static partial void UnknownMessage(ILogger logger, string messageId);

    [LoggerMessage(2007, LogLevel.Information, "{MessageId}: {RecipientCount} recipients expired after {Lifetime}")]
    public static partial void Expired(ILogger logger, string messageId, int recipientCount, TimeSpan lifetime);

    [LoggerMessage(2008, LogLevel.Debug, "Duplicate attempt {AttemptId} for {MessageId} ignored")]
    public static partial void DuplicateAttempt(ILogger logger, string attemptId, string messageId);

    [LoggerMessage(2009, LogLevel.Error, "{MessageId}: deferred recipients came back without the message content; they cannot be retried")]
    public static partial void MissingContent(ILogger logger, string messageId);
}
