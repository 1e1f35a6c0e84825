using System.Net.Sockets;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Delivering;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Routing;
using EmailPipeline.Delivery.Telemetry;
using Microsoft.Extensions.Options;
using MimeKit;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace EmailPipeline.Delivery.Smtp;

/// <summary>
/// SMTP delivery with our own client (<see cref="OutboundSmtpClient"/>), which sends the accepted bytes unchanged: hosts in route order; on a connection-level failure (refused, no answer,
/// greeting or EHLO refused, TLS failure) the next host is tried; once a transaction has begun its replies
/// decide each recipient. TLS is opportunistic (STARTTLS when offered, any certificate accepted, as Postfix's
/// "may" level, since MX certificates are rarely verifiable without DANE or MTA-STS); a transport with
/// RequireTls refuses clear text: no STARTTLS gives 4.7.10 (RFC 5248 "encryption needed"), a failed
/// handshake 4.7.5. A message that needs SMTPUTF8 sent to a host without it bounces with 5.6.7 (RFC 6531
/// §3.2); one larger than the host's SIZE bounces with 5.3.4. 8-bit content goes with BODY=8BITMIME, and to a peer
/// without 8BITMIME is converted to 7 bit (<see cref="SmtpBodyPlan"/>, <see cref="ConvertAsync"/>): the only case
/// where the message is parsed. After a completed transaction the session goes back to
/// <see cref="SmtpConnectionPool"/> instead of QUIT, and the next message to the same destination reuses it.
/// </summary>
public sealed class SmtpDelivery(
    HostConnector connector,
    HostCircuits circuits,
    SmtpConnectionPool pool,
    DeliveryJournal journal,
    DeliveryMetrics metrics,
    IOptions<DeliveryOptions> options,
    ILogger<SmtpDelivery> logger) : ITransportDelivery
{
    public async Task<IReadOnlyList<RecipientOutcome>> DeliverAsync(DeliveryRequested request, DeliveryRoute route, CancellationToken cancellationToken)
    {
        HostFailure? last = null;
        foreach (RouteHost host in route.Hosts.Take(options.Value.MaxHostsPerAttempt))
        {
            SmtpPoolKey key = SmtpPoolKey.For(host, route);
            if (await pool.TakeAsync(key).ConfigureAwait(false) is { } idle)
            {
                // A failure on a reused session is not the host's fault (the peer may simply have timed us
                // out): it neither counts against the circuit nor decides anything; a fresh session follows.
                Transaction? reused = await TryReusedAsync(idle, request, route, host, cancellationToken).ConfigureAwait(false);
                if (reused is not null)
                {
                    return reused.Outcomes;
                }
            }

            OutboundSmtpClient client;
            try
            {
                client = await circuits.ExecuteAsync(host, ct => ConnectAsync(request, route, host, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (BrokenCircuitException)
            {
                last = new HostFailure(host.Name, 0, "4.4.1", $"{host.Name} not tried: its circuit is open after repeated connection failures");
                DeliveryLog.HostFailed(logger, request.MessageId, host.Name, last.Status, last.Diagnostic);
                continue;
            }
            catch (TimeoutRejectedException)
            {
                last = new HostFailure(host.Name, 0, "4.4.1", $"no answer from {host.Name} within {options.Value.ConnectTimeout}");
                DeliveryLog.HostFailed(logger, request.MessageId, host.Name, last.Status, last.Diagnostic);
                continue;
            }
            catch (HostUnavailableException ex)
            {
                last = ex.Failure with { Host = host.Name };
                DeliveryLog.HostFailed(logger, request.MessageId, host.Name, last.Status, last.Diagnostic);
                continue;
            }

            var session = new SmtpSession(key, client);
            Transaction transaction;
            try
            {
                transaction = await TransactAsync(session, request, route, host, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Only our own cancellation (the attempt timeout) gets here: remote failures are outcomes.
                SmtpConnectionPool.Discard(session);
                throw;
            }

            if (transaction.Broken is { } broken)
            {
                // The connection failed: it is dropped without QUIT, never handed to the next message.
                DeliveryLog.HostFailed(logger, request.MessageId, host.Name, transaction.Outcomes.FirstOrDefault(o => o.Outcome == DeliveryOutcome.Deferred)?.EnhancedStatus ?? "4.4.2", broken.Message);
                SmtpConnectionPool.Discard(session);
            }
            else
            {
                await pool.ReturnAsync(session, transaction.Reusable).ConfigureAwait(false);
            }

            return transaction.Outcomes;
        }

        HostFailure failure = last ?? new HostFailure("", 0, "4.4.4", "no host to try");
        return Outcomes.All(request.Recipients, r => Outcomes.Deferred(r, failure.Status, failure.Diagnostic, failure.Host.Length == 0 ? null : failure.Host, failure.ReplyCode));
    }

    /// <summary>
    /// A transaction over a pooled session: NOOP first (bounded by <see cref="ProbeTimeout"/>); if that fails,
    /// or the connection breaks before the transaction is decided, the session is dropped and null returned so
    /// that the caller retries once on a fresh connection. Replies (2xx/4xx/5xx) decide as on any session.
    /// </summary>
    private async Task<Transaction?> TryReusedAsync(
        SmtpSession session, DeliveryRequested request, DeliveryRoute route, RouteHost host, CancellationToken cancellationToken)
    {
        OutboundSmtpClient client = session.Client;
        using (var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            probe.CancelAfter(ProbeTimeout < options.Value.CommandTimeout ? ProbeTimeout : options.Value.CommandTimeout);
            try
            {
                await client.NoOpAsync(probe.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsConnectionFailure(ex))
            {
                DeliveryLog.ReusedSessionFailed(logger, request.MessageId, host.Name, "NOOP", ex.Message);
                SmtpConnectionPool.Discard(session);
                return null;
            }
        }

        Transaction transaction;
        try
        {
            transaction = await TransactAsync(session, request, route, host, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            SmtpConnectionPool.Discard(session);
            throw;
        }

        if (transaction.Broken is { } broken)
        {
            DeliveryLog.ReusedSessionFailed(logger, request.MessageId, host.Name, "transaction", broken.Message);
            SmtpConnectionPool.Discard(session);
            return null;
        }

        metrics.Reused("smtp");
        await pool.ReturnAsync(session, transaction.Reusable).ConfigureAwait(false);
        return transaction;
    }

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    private static bool IsConnectionFailure(Exception ex) =>
        RemoteFailure.IsRemote(ex) || ex is OperationCanceledException or ObjectDisposedException;

    private async ValueTask<OutboundSmtpClient> ConnectAsync(DeliveryRequested request, DeliveryRoute route, RouteHost host, CancellationToken cancellationToken)
    {
        (Socket socket, System.Net.IPAddress address) = await connector.ConnectAsync(host, cancellationToken).ConfigureAwait(false);
        var client = new OutboundSmtpClient(socket, options.Value.CommandTimeout);
        try
        {
            await OpenAsync(client, route, host, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RemoteFailure.IsRemote(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Refusals are thrown as HostUnavailableException by OpenAsync; drops, silence (the command timeout),
            // garbled replies and TLS failures make this host unavailable too.
            client.Dispose();
            throw new HostUnavailableException(ConnectFailure(host, ex), ex);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        metrics.Connected(client.IsSecure, "smtp");
        DeliveryLog.Connected(logger, request.MessageId, host.Name, address.ToString(), client.IsSecure ? client.SslProtocol.ToString() : "none");
        return client;
    }

    /// <summary>
    /// Greeting, EHLO (HELO when EHLO is refused), STARTTLS when offered and EHLO again. STARTTLS refused by the peer
    /// leaves the session in clear text, unless the transport requires TLS.
    /// </summary>
    private async Task OpenAsync(OutboundSmtpClient client, DeliveryRoute route, RouteHost host, CancellationToken cancellationToken)
    {
        SmtpPeerReply greeting = await client.ReadGreetingAsync(cancellationToken).ConfigureAwait(false);
        if (greeting.Code != 220)
        {
            throw Refused(host, greeting);
        }

        SmtpPeerReply hello = await client.HelloAsync(options.Value.HeloName, cancellationToken).ConfigureAwait(false);
        if (!hello.IsPositive)
        {
            throw Refused(host, hello);
        }

        if (client.Capabilities.Has(SmtpPeerExtensions.StartTls))
        {
            SmtpPeerReply tls = await client.StartTlsAsync(host.Name, cancellationToken).ConfigureAwait(false);
            if (tls.Code == 220)
            {
                hello = await client.HelloAsync(options.Value.HeloName, cancellationToken).ConfigureAwait(false);
                if (!hello.IsPositive)
                {
                    throw Refused(host, hello);
                }
            }
            else if (route.RequireTls)
            {
                throw Refused(host, tls);
            }
        }
        else if (route.RequireTls)
        {
            throw new HostUnavailableException(new HostFailure(host.Name, 0, "4.7.10", $"TLS is required but {host.Name} does not offer STARTTLS"));
        }
    }

    /// <summary>
    /// A refusal before any transaction is a fault of this host only; like Postfix's smtp_skip_5xx_greeting the next
    /// host is tried and nothing bounces because of it.
    /// </summary>
    private static HostUnavailableException Refused(RouteHost host, SmtpPeerReply reply) => new(new HostFailure(
        host.Name,
        reply.Code,
        "4" + (ReplyClassifier.EnhancedStatusOf(reply.Text, out _) ?? "4.4.2")[1..],
        $"{host.Name} refused the session: {reply.Code} {reply.Text}"));

    private static HostFailure ConnectFailure(RouteHost host, Exception ex) => ex switch
    {
        System.Security.Authentication.AuthenticationException => new HostFailure(host.Name, 0, "4.7.5", $"TLS handshake with {host.Name} failed: {ex.Message}"),
        _ => Remote(host, RemoteFailure.Describe(ex, host.Name, "before the transaction")),
    };

    private static HostFailure Remote(RouteHost host, (string Status, string Diagnostic) failure) => new(host.Name, 0, failure.Status, failure.Diagnostic);

    /// <summary>The outcomes of one transaction; whether its session may carry another; the connection failure, if one decided.</summary>
    private sealed record Transaction(IReadOnlyList<RecipientOutcome> Outcomes, bool Reusable, Exception? Broken = null);

    private async Task<Transaction> TransactAsync(
        SmtpSession session, DeliveryRequested request, DeliveryRoute route, RouteHost host, CancellationToken cancellationToken)
    {
        OutboundSmtpClient client = session.Client;
        SmtpPeerCapabilities peer = client.Capabilities;
        string remote = host.Name;
        if (request.SmtpUtf8 && !peer.Has(SmtpPeerExtensions.SmtpUtf8))
        {
            // Decided before any command: the session stays clean and reusable.
            return new Transaction(Outcomes.All(request.Recipients, r => Outcomes.Bounced(r, "5.6.7", $"{remote} does not support SMTPUTF8, which this message requires (RFC 6531)", remote)), true);
        }

        if (peer.Has(SmtpPeerExtensions.Size) && peer.MaxSize > 0 && request.Content.Length > peer.MaxSize)
        {
            return new Transaction(Outcomes.All(request.Recipients, r => Outcomes.Bounced(r, "5.3.4", $"message of {request.Content.Length} bytes exceeds {remote}'s SIZE limit of {peer.MaxSize}", remote)), true);
        }

        if (!string.IsNullOrEmpty(route.Rule?.Username) && !client.IsAuthenticated)
        {
            try
            {
                if (await client.AuthenticateAsync(route.Rule.Username, route.Rule.Password ?? "", cancellationToken).ConfigureAwait(false) is { } refusal)
                {
                    // The relay answered (535, 454, no common mechanism): the session is intact but of no use to us.
                    return new Transaction(Outcomes.All(request.Recipients, r => Outcomes.Deferred(r, "4.7.8", $"authentication to {remote} failed: {refusal}", remote)), false);
                }
            }
            catch (Exception ex) when (RemoteFailure.IsRemote(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Dropped, silent or garbled during the SASL exchange: the connection is gone.
                (string status, string diagnostic) = RemoteFailure.Describe(ex, remote, "during AUTH");
                return new Transaction(Outcomes.All(request.Recipients, r => Outcomes.Deferred(r, status, diagnostic, remote)), false, ex);
            }
        }

        SmtpBodyPlan plan = SmtpBodyPlan.For(request.Body, request.Content, peer);
        byte[] payload = plan.ConvertTo is { } constraint
            ? await ConvertAsync(request, constraint, cancellationToken).ConfigureAwait(false)
            : request.Content;
        Transaction transaction = await SendAsync(client, request, payload, plan, remote, cancellationToken).ConfigureAwait(false);
        // Written the moment the peer took responsibility (its reply to the end of data), before QUIT or the pool:
        // a redelivery of this request then does not send these recipients again.
        journal.Record(request.AttemptId, transaction.Outcomes);
        if (transaction.Reusable)
        {
            session.Messages++;
        }

        return transaction;
    }

    /// <summary>
    /// The one path that parses the message: 8-bit content for a peer without 8BITMIME (or binary content for one
    /// without BINARYMIME), converted as Postfix does rather than bounced: every 8-bit or binary MIME part re-encoded as
    /// quoted-printable or base64 (MimeKit's Prepare). That changes the bytes: a DKIM signature over the body no longer
    /// verifies. Headers are not touched (raw 8-bit headers need SMTPUTF8, which bounces above when missing). The
    /// request's content is never changed: a later host may offer 8BITMIME.
    /// </summary>
    internal static async Task<byte[]> ConvertAsync(DeliveryRequested request, EncodingConstraint constraint, CancellationToken cancellationToken)
    {
        MimeMessage message;
        using (var stream = new MemoryStream(request.Content, writable: false))
        {
            message = await MimeMessage.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        message.Prepare(constraint, 998);
        FormatOptions format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.EnsureNewLine = false;
        format.International = request.SmtpUtf8;
        using var output = new MemoryStream(request.Content.Length + (request.Content.Length / 3) + 256);
        await message.WriteToAsync(format, output, cancellationToken).ConfigureAwait(false);
        return output.ToArray();
    }

    private static async Task<Transaction> SendAsync(
        OutboundSmtpClient client, DeliveryRequested request, byte[] payload, SmtpBodyPlan plan, string remote, CancellationToken cancellationToken)
    {
        if (!SmtpCommands.IsSendable(request.Sender, nullAllowed: true))
        {
            return new Transaction(Outcomes.All(request.Recipients, r => Outcomes.Bounced(r, "5.1.7", "sender address is not valid RFC 5321 syntax", remote)), true);
        }

        SmtpPeerCapabilities peer = client.Capabilities;
        var sent = new List<int>(request.Recipients.Count);
        var rcptCommands = new List<string>(request.Recipients.Count);
        for (int i = 0; i < request.Recipients.Count; i++)
        {
            if (SmtpCommands.IsSendable(request.Recipients[i].Address, nullAllowed: false))
            {
                sent.Add(i);
                rcptCommands.Add(SmtpCommands.RcptTo(request.Recipients[i], peer));
            }
        }

        var transaction = new SmtpTransaction(
            SmtpCommands.MailFrom(request, peer, payload.Length, plan.BodyParameter), rcptCommands, payload, plan.UsesBdat(payload, peer));
        Exception? broken = null;
        if (sent.Count > 0)
        {
            try
            {
                await client.SendAsync(transaction, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (RemoteFailure.IsRemote(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // The connection dropped, went silent (the command timeout), or a reply made no sense (including a
                // 2xx/3xx where another code belongs, e.g. 250 to DATA instead of 354).
                broken = ex;
            }
        }

        if (transaction.MailReply is { IsRefusal: true } mail)
        {
            // The sender was refused: that reply decides every recipient (the RCPT replies after it, when pipelined,
            // are only "503 need MAIL first").
            return new Transaction(Outcomes.All(request.Recipients, r => ReplyClassifier.Classify(r, mail.Code, mail.Text, remote)), false, broken);
        }

        var outcomes = new RecipientOutcome[request.Recipients.Count];
        for (int i = 0; i < request.Recipients.Count; i++)
        {
            string rcpt = request.Recipients[i].Address;
            int index = sent.IndexOf(i);
            SmtpPeerReply? rcptReply = index < 0 ? null : transaction.RcptReplies[index];
            outcomes[i] = (index, rcptReply, broken, transaction.DataReply, transaction.FinalReply) switch
            {
                (< 0, _, _, _, _) => Outcomes.Bounced(rcpt, "5.1.3", "recipient address is not valid RFC 5321 syntax", remote),
                (_, { IsRefusal: true } refused, _, _, _) => ReplyClassifier.Classify(rcpt, refused.Code, refused.Text, remote),
                // Accepted at RCPT (or not yet asked) but the end of data was never confirmed: not delivered as far as we know.
                (_, _, { } ex, _, _) => Deferred(rcpt, RemoteFailure.Describe(ex, remote, "during the transaction"), remote),
                (_, _, _, { } data, _) => ReplyClassifier.Classify(rcpt, data.Code, data.Text, remote),
                (_, _, _, _, { } final) => ReplyClassifier.Classify(rcpt, final.Code, final.Text, remote),
                _ => Outcomes.Deferred(rcpt, "4.4.2", $"no final reply from {remote} to the end of data", remote),
            };
        }

        // Only a transaction the peer took (a 2xx to the end of data) leaves the session in a state we know; anything else ends it with QUIT.
        return new Transaction(outcomes, transaction.FinalReply is { IsPositive: true } && broken is null, broken);
    }

    private static RecipientOutcome Deferred(string recipient, (string Status, string Diagnostic) failure, string remote) =>
        Outcomes.Deferred(recipient, failure.Status, failure.Diagnostic, remote);
}
