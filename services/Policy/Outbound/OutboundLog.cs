namespace EmailPipeline.Policy.Outbound;

/// <summary>Log lines of outbound policy. Keys appear by domain, selector and file only; users by name only.</summary>
internal static partial class OutboundLog
{
    [LoggerMessage(4501, LogLevel.Information, "DKIM key {Selector}._domainkey.{Domain} loaded: {Algorithm}, {Bits} bits")]
    public static partial void KeyLoaded(ILogger logger, string domain, string selector, string algorithm, int bits);

    [LoggerMessage(4502, LogLevel.Debug, "{MessageId} signed for {Domain} with {SignatureCount} signature(s)")]
    public static partial void Signed(ILogger logger, string messageId, string domain, int signatureCount);

    [LoggerMessage(4503, LogLevel.Debug, "{MessageId} not signed: no DKIM key for {Domain}")]
    public static partial void NoKey(ILogger logger, string messageId, string? domain);

    [LoggerMessage(4504, LogLevel.Information, "{MessageId} from {User} refused 451 4.7.1: {Scope} at its limit of {Limit} per {Window}, resets in {RetryAfterSeconds} s")]
    public static partial void LimitReached(ILogger logger, string messageId, string user, string scope, int limit, string window, int retryAfterSeconds);

    [LoggerMessage(4505, LogLevel.Warning, "{MessageId}: sending limits unavailable ({Problem}); {Decision}")]
    public static partial void LimitsUnavailable(ILogger logger, string messageId, string problem, string decision);

    [LoggerMessage(4506, LogLevel.Error, "{MessageId}: DKIM signing for {Domain} failed ({ErrorType}); answering 451 4.3.0")]
    public static partial void SigningFailed(ILogger logger, string messageId, string domain, string errorType);
}
