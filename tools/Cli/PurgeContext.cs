namespace EmailPipeline.Cli;

/// <summary>What a purge run knows besides the dead letter itself.</summary>
/// <param name="Queue">The error queue being purged (recorded in what is published).</param>
/// <param name="Now">The time of the operator's bounce: AttemptedAt, Last-Attempt-Date, the DSN's Date.</param>
/// <param name="ReportingMta">This mail system's name in a DSN the command builds itself (Reporting-MTA, MAILER-DAEMON@…).</param>
/// <param name="MaxReturnedSize">The most of the original message such a DSN returns (the Queue's Queue:MaxReturnedSize default).</param>
public sealed record PurgeContext(string Queue, DateTimeOffset Now, string ReportingMta, long MaxReturnedSize);
