namespace EmailPipeline.Delivery;

/// <summary>The delivery service's log events, with stable ids. Ids, codes, hosts and counts; never bodies or passwords.</summary>
internal static partial class DeliveryLog
{
    [LoggerMessage(2001, LogLevel.Information, "Attempt {AttemptId} of {MessageId} to {Destination} via {Via}: {Delivered} delivered, {Deferred} deferred, {Bounced} bounced in {ElapsedMs} ms")]
    public static partial void AttemptCompleted(ILogger logger, string attemptId, string messageId, string destination, string via, int delivered, int deferred, int bounced, long elapsedMs);

    [LoggerMessage(2002, LogLevel.Debug, "{MessageId} recipient at {Domain}: {Outcome} {Code} {Status} from {RemoteHost}")]
    public static partial void RecipientResult(ILogger logger, string messageId, string domain, string outcome, int code, string status, string? remoteHost);

    [LoggerMessage(2003, LogLevel.Information, "{MessageId}: host {Host} failed: {Status} {Diagnostic}")]
    public static partial void HostFailed(ILogger logger, string messageId, string host, string status, string diagnostic);

    [LoggerMessage(2004, LogLevel.Warning, "Circuit for {Host} opened for {BreakDuration}: connections failing")]
    public static partial void CircuitOpened(ILogger logger, string host, TimeSpan breakDuration);

    [LoggerMessage(2005, LogLevel.Information, "Circuit for {Host} closed")]
    public static partial void CircuitClosed(ILogger logger, string host);

    [LoggerMessage(2006, LogLevel.Debug, "{MessageId} written to Maildir {File}")]
    public static partial void MaildirWritten(ILogger logger, string messageId, string file);

    [LoggerMessage(2007, LogLevel.Warning, "{MessageId}: Maildir delivery to {Mailbox} failed: {Error}")]
    public static partial void MaildirFailed(ILogger logger, string messageId, string mailbox, string error);

    [LoggerMessage(2008, LogLevel.Warning, "Attempt {AttemptId} of {MessageId} hit the attempt timeout of {Timeout}; undecided recipients deferred")]
    public static partial void AttemptTimedOut(ILogger logger, string attemptId, string messageId, TimeSpan timeout);

    [LoggerMessage(2009, LogLevel.Information, "{MessageId}: no route to {Destination}: {Status} {Diagnostic}")]
    public static partial void RouteFailed(ILogger logger, string messageId, string destination, string status, string diagnostic);

    [LoggerMessage(2010, LogLevel.Debug, "{MessageId}: connected to {Host} ({Address}), TLS {Tls}")]
    public static partial void Connected(ILogger logger, string messageId, string host, string address, string tls);

    [LoggerMessage(2011, LogLevel.Warning, "Published DeliveryAttempted for {MessageId} was not routed or confirmed: {Error}")]
    public static partial void PublishFailed(ILogger logger, string messageId, string error);

    [LoggerMessage(2012, LogLevel.Information, "{MessageId}: reused session to {Host} failed at {Stage} ({Error}); retrying on a fresh connection")]
    public static partial void ReusedSessionFailed(ILogger logger, string messageId, string host, string stage, string error);

    [LoggerMessage(2013, LogLevel.Information, "Attempt {AttemptId} of {MessageId}: {Count} recipients already accepted by the remote under this attempt (journal); not sent again")]
    public static partial void AlreadyDelivered(ILogger logger, string attemptId, string messageId, int count);

    [LoggerMessage(2014, LogLevel.Warning, "Delivery journal {Path}: {Stage} failed ({Error}); deliveries go on, a redelivered request may be delivered twice")]
    public static partial void JournalFailed(ILogger logger, string path, string stage, string error);

    [LoggerMessage(2015, LogLevel.Information, "Delivery journal {Path} rolled over; the previous segment holds {Records} records")]
    public static partial void JournalRotated(ILogger logger, string path, int records);

    [LoggerMessage(2016, LogLevel.Information, "Delivery journal {Path} loaded: {Records} records, {Skipped} unreadable lines skipped")]
    public static partial void JournalLoaded(ILogger logger, string path, int records, int skipped);

    [LoggerMessage(2017, LogLevel.Warning, "Attempt {AttemptId} of {MessageId}: {Status} {Diagnostic} escaped the {Transport} transport; undecided recipients deferred")]
    public static partial void RemoteFailureEscaped(ILogger logger, string attemptId, string messageId, string transport, string status, string diagnostic);

    [LoggerMessage(2018, LogLevel.Information, "Delivery lanes: {Small} requests at once of up to 1 MiB, {Large} larger ones; bodies held at worst {WorstCaseMiB} MiB of a {BudgetMiB} MiB budget")]
    public static partial void LanesSized(ILogger logger, int small, int large, long worstCaseMiB, long budgetMiB);
}
