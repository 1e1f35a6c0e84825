namespace EmailPipeline.Queue;

internal static partial class QueueLog
{
    [LoggerMessage(2001, LogLevel.Information, "Recorded {MessageId} from {Sender} for {RecipientCount} recipients")]
    public static partial void Recorded(ILogger logger, string messageId, string sender, int recipientCount);

    [LoggerMessage(2002, LogLevel.Debug, "{MessageId}: nothing to do ({Why})")]
    public static partial void NothingToDo(ILogger logger, string messageId, string why);

    [LoggerMessage(2003, LogLevel.Information, "{MessageId} to {Recipient}: {Outcome} {Code} {Status} via {Host}")]
    public static partial void Outcome(ILogger logger, string messageId, string recipient, string outcome, int code, string status, string? host);

    [LoggerMessage(2004, LogLevel.Information, "{MessageId}: {RecipientCount} recipients deferred until {DueAt:o} (attempt {Attempt})")]
    public static partial void Deferred(ILogger logger, string messageId, int recipientCount, DateTimeOffset dueAt, int attempt);

    [LoggerMessage(2005, LogLevel.Information, "Sending a {Kind} DSN for {MessageId} covering {RecipientCount} recipients")]
    public static partial void DsnSent(ILogger logger, string kind, string messageId, int recipientCount);

    [LoggerMessage(2006, LogLevel.Error, "{MessageId}: a publish came back unroutable ({Error}); declaring the queues again and retrying the input")]
    public static partial void Unroutable(ILogger logger, string messageId, string error);

    [LoggerMessage(2007, LogLevel.Information, "{MessageId}: {RecipientCount} recipients expired after {Lifetime}")]
    public static partial void Expired(ILogger logger, string messageId, int recipientCount, TimeSpan lifetime);
}
