using System.Net;
using EmailPipeline.Ingress.Configuration;
using EmailPipeline.Ingress.Session;
using EmailPipeline.Smtp.Replies;
using Microsoft.AspNetCore.Connections;

namespace EmailPipeline.Ingress.Hosting;

/// <summary>
/// Kestrel hands every accepted SMTP connection here. Admission (total and per-client limits, shutdown)
/// happens before the greeting; then one <see cref="SmtpSession"/> runs to its end.
/// </summary>
internal sealed class SmtpConnectionHandler(SmtpSessionServices services, SessionAdmission admission) : ConnectionHandler
{
    public const string ListenerItem = "smtp.listener";

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var listener = (SmtpListenerOptions)connection.Items[ListenerItem]!;
        var peer = connection.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        string sessionId = connection.ConnectionId;

        await using var session = new SmtpSession(services, listener, connection.Transport, peer, sessionId, connection.ConnectionClosed);
        try
        {
            if (listener.ProxyProtocol)
            {
                if (!listener.TrustsProxy(peer.Address))
                {
                    // Never read: a header from here would choose the client address every later check trusts.
                    IngressLog.ProxyUntrusted(services.Logger, sessionId, listener.Name, peer);
                    await RefuseAsync(connection, sessionId, peer.Address, listener, SmtpReplies.UntrustedProxy, "untrusted_proxy").ConfigureAwait(false);
                    return;
                }

                if (!await session.ReadProxyHeaderAsync().ConfigureAwait(false))
                {
                    return;
                }
            }

            IPAddress client = session.Client.Address;
            if (services.Lifetime.Stopping.IsCancellationRequested)
            {
                await RefuseAsync(connection, sessionId, client, listener, SmtpReplies.ServiceShuttingDown, "shutting_down").ConfigureAwait(false);
                return;
            }

            if (!admission.TryAdmit(client, out SmtpReply refusal))
            {
                await RefuseAsync(connection, sessionId, client, listener, refusal, "too_many_sessions").ConfigureAwait(false);
                return;
            }

            services.Metrics.SessionStarted(listener.Name);
            IngressLog.SessionOpened(services.Logger, sessionId, listener.Name, session.Client);
            try
            {
                await session.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                admission.Release(client);
                services.Metrics.SessionEnded(listener.Name);
            }
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or OperationCanceledException or ObjectDisposedException)
        {
            // A client that vanished mid-session, or stopped reading: nothing was acknowledged, so nothing is lost. Abort,
            // not close: a graceful close would wait to send replies the client does not read.
            connection.Abort(new ConnectionAbortedException(ex.Message));
            IngressLog.ConnectionEnded(services.Logger, sessionId, ex.GetType().Name);
        }
    }

    private async Task RefuseAsync(ConnectionContext connection, string sessionId, IPAddress client, SmtpListenerOptions listener, SmtpReply reply, string reason)
    {
        services.Metrics.SessionRefused(listener.Name, reason);
        IngressLog.SessionRefused(services.Logger, sessionId, client, reply.Code, reply.Status.ToString(), reply.Text);
        reply.WriteTo(connection.Transport.Output);
        await connection.Transport.Output.FlushAsync().ConfigureAwait(false);
    }
}
