using System.Net;

namespace EmailPipeline.Ingress;

/// <summary>The ingress's log events, with stable ids. Never AUTH data, passwords or message content.</summary>
internal static partial class IngressLog
{
    [LoggerMessage(1001, LogLevel.Information, "Session {SessionId} queued {QueueId} from {Sender} for {RecipientCount} recipients ({Size} bytes)")]
    public static partial void MessageQueued(ILogger logger, string sessionId, string queueId, string sender, int recipientCount, long size);

    [LoggerMessage(1002, LogLevel.Debug, "Session {SessionId} opened on {Listener} from {Client}")]
    public static partial void SessionOpened(ILogger logger, string sessionId, string listener, IPEndPoint? client);

    [LoggerMessage(1003, LogLevel.Debug, "Session {SessionId} closed after {Messages} messages")]
    public static partial void SessionClosed(ILogger logger, string sessionId, int messages);

    [LoggerMessage(1004, LogLevel.Information, "Session {SessionId} refused {Client}: {Code} {Status} {Reason}")]
    public static partial void SessionRefused(ILogger logger, string sessionId, IPAddress? client, int code, string status, string reason);

    [LoggerMessage(1005, LogLevel.Information, "Session {SessionId} rejected {Stage}: {Code} {Status} {Reason}")]
    public static partial void Rejected(ILogger logger, string sessionId, string stage, int code, string status, string reason);

    [LoggerMessage(1006, LogLevel.Warning, "Session {SessionId} could not queue {QueueId}; replied 451 4.3.0: {Error}")]
    public static partial void QueueFailed(ILogger logger, string sessionId, string queueId, string error);

    [LoggerMessage(1007, LogLevel.Information, "Session {SessionId} TLS handshake failed: {Error}")]
    public static partial void TlsFailed(ILogger logger, string sessionId, string error);

    [LoggerMessage(1008, LogLevel.Information, "Session {SessionId} authenticated {User} with {Mechanism}")]
    public static partial void Authenticated(ILogger logger, string sessionId, string user, string mechanism);

    [LoggerMessage(1009, LogLevel.Warning, "Session {SessionId} authentication failed from {Client} with {Mechanism}")]
    public static partial void AuthenticationFailed(ILogger logger, string sessionId, IPAddress? client, string mechanism);

    [LoggerMessage(1010, LogLevel.Debug, "Session {SessionId} connection ended: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, string sessionId, string reason);

    [LoggerMessage(1011, LogLevel.Warning, "Policy verdict for {QueueId} not received in time; failure mode {Mode}")]
    public static partial void PolicyUnavailable(ILogger logger, string queueId, string mode);

    [LoggerMessage(1012, LogLevel.Warning, "No TLS certificate configured; generated a self-signed one for {HostName} ({Thumbprint})")]
    public static partial void SelfSignedCertificate(ILogger logger, string hostName, string thumbprint);

    [LoggerMessage(1013, LogLevel.Information, "SMTP listener {Listener} ({Role}) on {Endpoint}")]
    public static partial void Listening(ILogger logger, string listener, string role, string endpoint);



    [LoggerMessage(1016, LogLevel.Information, "Session {SessionId}: invalid PROXY protocol header from {Peer}")]
    public static partial void ProxyHeaderInvalid(ILogger logger, string sessionId, IPEndPoint? peer);

    [LoggerMessage(1019, LogLevel.Warning, "Session {SessionId}: listener {Listener} expects a PROXY header, and {Peer} is not one of its TrustedProxies; refused without reading it")]
    public static partial void ProxyUntrusted(ILogger logger, string sessionId, string listener, IPEndPoint peer);

    [LoggerMessage(1020, LogLevel.Information, "Session {SessionId}: {Peer} did not read its replies for {Timeout}; connection dropped")]
    public static partial void ClientNotReading(ILogger logger, string sessionId, IPEndPoint peer, TimeSpan timeout);

    [LoggerMessage(1017, LogLevel.Debug, "Session {SessionId} {Direction} {Line}")]
    public static partial void Transcript(ILogger logger, string sessionId, string direction, string line);

    [LoggerMessage(1018, LogLevel.Information, "Message bodies in memory limited to {Bytes} bytes ({Source})")]
    public static partial void BodyBudget(ILogger logger, long bytes, string source);
}
