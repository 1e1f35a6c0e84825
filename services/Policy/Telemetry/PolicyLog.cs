using EmailPipeline.Contracts;
using Microsoft.Extensions.Logging;

namespace EmailPipeline.Policy.Telemetry;

/// <summary>The Policy service's log events (ids 4xxx). Ids, results and domains only: never message content.</summary>
public static partial class PolicyLog
{
    [LoggerMessage(4001, LogLevel.Information,
        "Message {MessageId}: {Action} {ReplyCode} (spf {Spf}, dkim [{Dkim}], dmarc {Dmarc} disposition {Disposition}, listed by {BlockedBy})")]
    public static partial void InboundVerdict(ILogger logger, string messageId, PolicyAction action, int replyCode, string spf, string dkim, string dmarc, string disposition, string? blockedBy);

    [LoggerMessage(4002, LogLevel.Information, "Message {MessageId} (submission): {Action} {ReplyCode}")]
    public static partial void OutboundVerdict(ILogger logger, string messageId, PolicyAction action, int replyCode);

    [LoggerMessage(4003, LogLevel.Information, "Public Suffix List: {Rules} rules from {Path}")]
    public static partial void SuffixListLoaded(ILogger logger, int rules, string path);
}
