using System.Net.Sockets;

namespace EmailPipeline.Delivery.Delivering;

/// <summary>
/// What the peer or the network can do to a session — drop it, stop answering, send a reply that cannot be
/// parsed or out of step, fail a TLS handshake — and the enhanced status each one defers with (a refused AUTH is a
/// reply, deferred 4.7.8 by SmtpDelivery). Such a failure
/// is always an outcome (Deferred), never an exception out of the delivery: an exception would send the request
/// to the error queue, where its recipients wait for an operator.
/// </summary>
public static class RemoteFailure
{
    /// <summary>Whether <paramref name="ex"/> is the remote side's or the network's doing (not a bug of ours, not our cancellation).</summary>
    public static bool IsRemote(Exception ex) =>
        ex is IOException or SocketException or TimeoutException or System.Security.Authentication.AuthenticationException;

    /// <summary>
    /// The enhanced status and diagnostic for a remote failure at <paramref name="stage"/> ("during AUTH"): 4.4.1 no
    /// answer (a command timeout), 4.5.0 a reply that cannot be parsed (RFC 3463 "other or undefined protocol
    /// status") or one of the wrong class, 4.7.5 a TLS failure, otherwise 4.4.2 (bad connection: dropped or reset).
    /// </summary>
    public static (string Status, string Diagnostic) Describe(Exception ex, string host, string stage)
    {
        string what = $"{ex.GetType().Name}: {ex.Message}";
        return ex switch
        {
            _ when IsNoAnswer(ex) => ("4.4.1", $"no answer from {host} {stage}: {what}"),
            UnreadableReplyException => ("4.5.0", $"{host} sent a reply that cannot be parsed {stage}: {ex.Message}"),
            UnexpectedReplyException => ("4.5.0", $"{host} gave an unexpected reply {stage}: {ex.Message}"),
            System.Security.Authentication.AuthenticationException => ("4.7.5", $"TLS with {host} failed {stage}: {what}"),
            _ => ("4.4.2", $"connection to {host} lost {stage}: {what}"),
        };
    }

    /// <summary>A command timeout (our SMTP and LMTP clients' command timeout) rather than a broken connection.</summary>
    public static bool IsNoAnswer(Exception ex) => ex switch
    {
        TimeoutException or OperationCanceledException => true,
        SocketException s => s.SocketErrorCode == SocketError.TimedOut,
        IOException { InnerException: { } inner } => IsNoAnswer(inner),
        _ => false,
    };
}
