using Microsoft.Extensions.Logging;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// Log events of SMTP AUTH (EventIds 3100-3199). Only mechanism names and fixed reasons: never user-supplied
/// AUTH data, passwords, hashes or tokens. The session logs the client and the reply.
/// </summary>
internal static partial class AuthenticationLog
{
    [LoggerMessage(3101, LogLevel.Information, "SASL {Mechanism} exchange failed: {Reason}")]
    public static partial void ExchangeFailed(ILogger logger, string mechanism, string reason);

    [LoggerMessage(3102, LogLevel.Debug, "SASL {Mechanism} exchange succeeded")]
    public static partial void ExchangeSucceeded(ILogger logger, string mechanism);

    [LoggerMessage(3103, LogLevel.Warning, "Client {ClientAddress} blocked after {Failures} failed AUTH attempts")]
    public static partial void ClientBlocked(ILogger logger, string clientAddress, int failures);
}
