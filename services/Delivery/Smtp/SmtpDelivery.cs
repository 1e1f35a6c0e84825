using System.Net.Sockets;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Delivering;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Routing;
using EmailPipeline.Delivery.Telemetry;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace EmailPipeline.Delivery.Smtp;

/// <summary>
/// SMTP delivery with MailKit: hosts in route order; on a connection-level failure (refused, no answer,
/// greeting or EHLO refused, TLS failure) the next host is tried; once a transaction has begun its replies
/// decide each recipient. TLS is opportunistic (STARTTLS when offered, any certificate accepted, as Postfix's
/// "may" level, since MX certificates are rarely verifiable without DANE or MTA-STS); a transport with
/// RequireTls refuses clear text: no STARTTLS gives 4.7.10 (RFC 5248 "encryption needed"), a failed
/// handshake 4.7.5. A message that needs SMTPUTF8 sent to a host without it bounces with 5.6.7 (RFC 6531
/// §3.2); one larger than the host's SIZE bounces with 5.3.4. 8-bit content to a peer without 8BITMIME is
/// converted to 7 bit (<see cref="EncodeForPeerAsync"/>). After a completed transaction the session goes back to
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
        MimeMessage message;
        using (var stream = new MemoryStream(request.Content, writable: false))
        {
            message = await MimeMessage.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        HostFailure? last = null;
        foreach (RouteHost host in route.Hosts.Take(options.Value.MaxHostsPerAttempt))
        {
            SmtpPoolKey key = SmtpPoolKey.For(host, route);
            if (await pool.TakeAsync(key).ConfigureAwait(false) is { } idle)
            {
                // A failure on a reused session is not the host's fault (the peer may simply have timed us
                // out): it neither counts against the circuit nor decides anything; a fresh session follows.
                Transaction? reused = await TryReusedAsync(idle, request, route, host, message, cancellationToken).ConfigureAwait(false);
                if (reused is not null)
                {
                    return reused.Outcomes;
                }
            }

            DeliverySmtpClient client;
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
                transaction = await TransactAsync(session, request, route, host, message, cancellationToken).ConfigureAwait(false);
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
        SmtpSession session, DeliveryRequested request, DeliveryRoute route, RouteHost host, MimeMessage message, CancellationToken cancellationToken)
    {
        DeliverySmtpClient client = session.Client;
        client.Begin(request);
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
            transaction = await TransactAsync(session, request, route, host, message, cancellationToken).ConfigureAwait(false);
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

    private async ValueTask<DeliverySmtpClient> ConnectAsync(DeliveryRequested request, DeliveryRoute route, RouteHost host, CancellationToken cancellationToken)
    {
        (Socket socket, System.Net.IPAddress address) = await connector.ConnectAsync(host, cancellationToken).ConfigureAwait(false);
        var client = new DeliverySmtpClient(request)
        {
            LocalDomain = options.Value.HeloName,
            Timeout = (int)options.Value.CommandTimeout.TotalMilliseconds,
            CheckCertificateRevocation = false,
            ServerCertificateValidationCallback = static (_, _, _, _) => true,
        };
        SecureSocketOptions tls = route.RequireTls ? SecureSocketOptions.StartTls : SecureSocketOptions.StartTlsWhenAvailable;
        try
        {
            await client.ConnectAsync(socket, host.Name, host.Port, tls, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Everything but our own cancellation: refusals, drops, garbled greetings, TLS failures and MailKit's
            // command timeout (an OperationCanceledException of its own) all make this host unavailable.
            client.Dispose();
            socket.Dispose();
            throw new HostUnavailableException(ConnectFailure(host, ex), ex);
        }

        metrics.Connected(client.IsSecure, "smtp");
        DeliveryLog.Connected(logger, request.MessageId, host.Name, address.ToString(), client.IsSecure ? client.SslProtocol.ToString() : "none");
        return client;
    }

    private static HostFailure ConnectFailure(RouteHost host, Exception ex) => ex switch
    {
        SmtpCommandException c => new HostFailure(
            host.Name,
            (int)c.StatusCode,
            // A refusal before any transaction is a fault of this host only; like Postfix's
            // smtp_skip_5xx_greeting the next host is tried and nothing bounces because of it.
            "4" + (ReplyClassifier.EnhancedStatusOf(c.Message, out _) ?? "4.4.2")[1..],
            $"{host.Name} refused the session: {(int)c.StatusCode} {c.Message}"),
        NotSupportedException => new HostFailure(host.Name, 0, "4.7.10", $"TLS is required but {host.Name} does not offer STARTTLS"),
        SslHandshakeException or System.Security.Authentication.AuthenticationException =>
            new HostFailure(host.Name, 0, "4.7.5", $"TLS handshake with {host.Name} failed: {ex.Message}"),
        _ => Remote(host, RemoteFailure.Describe(ex, host.Name, "before the transaction")),
    };

    private static HostFailure Remote(RouteHost host, (string Status, string Diagnostic) failure) => new(host.Name, 0, failure.Status, failure.Diagnostic);

    /// <summary>The outcomes of one transaction; whether its session may carry another; the connection failure, if one decided.</summary>
    private sealed record Transaction(IReadOnlyList<RecipientOutcome> Outcomes, bool Reusable, Exception? Broken = null);

    private async Task<Transaction> TransactAsync(
        SmtpSession session, DeliveryRequested request, DeliveryRoute route, RouteHost host, MimeMessage message, CancellationToken cancellationToken)
    {
        DeliverySmtpClient client = session.Client;
        string remote = host.Name;
        if (request.SmtpUtf8 && !client.Capabilities.HasFlag(SmtpCapabilities.UTF8))
        {
            // Decided before any command: the session stays clean and reusable.
            return new Transaction(Outcomes.All(request.Recipients, r => Outcomes.Bounced(r, "5.6.7", $"{remote} does not support SMTPUTF8, which this message requires (RFC 6531)", remote)), true);
        }

        if (client.Capabilities.HasFlag(SmtpCapabilities.Size) && client.MaxSize > 0 && (ulong)request.Content.Length > (ulong)client.MaxSize)
        {
            return new Transaction(Outcomes.All(request.Recipients, r => Outcomes.Bounced(r, "5.3.4", $"message of {request.Content.Length} bytes exceeds {remote}'s SIZE limit of {client.MaxSize}", remote)), true);
        }

        if (!string.IsNullOrEmpty(route.Rule?.Username) && !client.IsAuthenticated)
        {
            try
            {
                await client.AuthenticateAsync(route.Rule.Username, route.Rule.Password ?? "", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AuthenticationException or NotSupportedException or SmtpCommandException)
            {
                // The relay answered (535, 454, no common mechanism): the session is intact but of no use to us.
                return new Transaction(Outcomes.All(request.Recipients, r => Outcomes.Deferred(r, "4.7.8", $"authentication to {remote} failed: {ex.Message}", remote)), false);
            }
            catch (Exception ex) when (RemoteFailure.IsRemote(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Dropped, silent or garbled during the SASL exchange: the connection is gone.
                (string status, string diagnostic) = RemoteFailure.Describe(ex, remote, "during AUTH");
                return new Transaction(Outcomes.All(request.Recipients, r => Outcomes.Deferred(r, status, diagnostic, remote)), false, ex);
            }
        }

        MimeMessage toSend = await EncodeForPeerAsync(request, message, client.Capabilities, cancellationToken).ConfigureAwait(false);
        Transaction transaction = await SendAsync(client, request, toSend, remote, cancellationToken).ConfigureAwait(false);
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
    /// RFC 6152 §3: 8-bit content (BODY=8BITMIME in the request, or any byte of 0x80 or above after the header)
    /// goes unchanged to a peer that offers 8BITMIME (MailKit then sends BODY=8BITMIME for each part declared
    /// "8bit"); a peer without it gets the message converted to 7 bit, as Postfix does: every 8-bit or binary
    /// MIME part is re-encoded as quoted-printable or base64 (MimeKit's Prepare). That changes the bytes: a DKIM
    /// signature over the body no longer verifies. Headers are not touched (raw 8-bit headers need SMTPUTF8,
    /// which bounces above when missing). The request's own parse is never changed: a later host may offer 8BITMIME.
    /// </summary>
    internal static async Task<MimeMessage> EncodeForPeerAsync(DeliveryRequested request, MimeMessage message, SmtpCapabilities capabilities, CancellationToken cancellationToken)
    {
        EncodingConstraint? constraint = null;
        if (!capabilities.HasFlag(SmtpCapabilities.EightBitMime))
        {
            if (request.Body != BodyType.SevenBit || HasEightBitBody(request.Content))
            {
                constraint = EncodingConstraint.SevenBit;
            }
        }
        else if (request.Body == BodyType.BinaryMime && !capabilities.HasFlag(SmtpCapabilities.BinaryMime))
        {
            constraint = EncodingConstraint.EightBit;
        }

        if (constraint is not { } c)
        {
            return message;
        }

        MimeMessage copy;
        using (var stream = new MemoryStream(request.Content, writable: false))
        {
            copy = await MimeMessage.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        copy.Prepare(c, 998);
        return copy;
    }

    /// <summary>Whether any byte after the header/body separator is 0x80 or above.</summary>
    internal static bool HasEightBitBody(ReadOnlySpan<byte> content)
    {
        int separator = content.IndexOf("\r\n\r\n"u8);
        int bareLf = content.IndexOf("\n\n"u8);
        int start = separator < 0 ? bareLf : bareLf < 0 ? separator : Math.Min(separator, bareLf);
        if (start < 0)
        {
            return false;
        }

        return content[start..].IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0;
    }

    private static async Task<Transaction> SendAsync(
        DeliverySmtpClient client, DeliveryRequested request, MimeMessage message, string remote, CancellationToken cancellationToken)
    {
        var mailboxes = new List<(EnvelopeRecipient Recipient, MailboxAddress? Mailbox)>();
        foreach (EnvelopeRecipient recipient in request.Recipients)
        {
            try
            {
                mailboxes.Add((recipient, client.Map(recipient)));
            }
            catch (ParseException)
            {
                mailboxes.Add((recipient, null));
            }
        }

        MailboxAddress sender;
        try
        {
            sender = new MailboxAddress("", request.Sender);
        }
        catch (ParseException)
        {
            return new Transaction(Outcomes.All(request.Recipients, r => Outcomes.Bounced(r, "5.1.7", "sender address is not valid RFC 5321 syntax", remote)), true);
        }

        FormatOptions format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.EnsureNewLine = false;
        format.International = request.SmtpUtf8;

        string? finalReply = null;
        SmtpCommandException? messageFailure = null;
        Exception? broken = null;
        var valid = mailboxes.Where(m => m.Mailbox is not null).Select(m => m.Mailbox!).ToList();
        if (valid.Count > 0)
        {
            try
            {
                finalReply = await client.SendAsync(format, message, sender, valid, cancellationToken).ConfigureAwait(false);
            }
            catch (AllRecipientsRefusedException)
            {
                // Each refusal is recorded per recipient below.
            }
            catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.SenderNotAccepted)
            {
                return new Transaction(Outcomes.All(request.Recipients, r => ReplyClassifier.Classify(r, (int)ex.StatusCode, ex.Message, remote)), false);
            }
            catch (SmtpCommandException ex) when ((int)ex.StatusCode >= 400)
            {
                messageFailure = ex;
            }
            catch (Exception ex) when (RemoteFailure.IsRemote(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // The connection dropped, went silent (MailKit's command timeout), or a reply made no sense
                // (including a 2xx/3xx where MailKit wanted another code, e.g. 250 to DATA instead of 354).
                broken = ex;
            }
        }

        var outcomes = new List<RecipientOutcome>(mailboxes.Count);
        foreach ((EnvelopeRecipient recipient, MailboxAddress? mailbox) in mailboxes)
        {
            string rcpt = recipient.Address;
            if (mailbox is null)
            {
                outcomes.Add(Outcomes.Bounced(rcpt, "5.1.3", "recipient address is not valid RFC 5321 syntax", remote));
            }
            else if (client.Refused.TryGetValue(mailbox, out SmtpResponse? refusal))
            {
                outcomes.Add(ReplyClassifier.Classify(rcpt, (int)refusal.StatusCode, refusal.Response, remote));
            }
            else if (messageFailure is not null)
            {
                outcomes.Add(ReplyClassifier.Classify(rcpt, (int)messageFailure.StatusCode, messageFailure.Message, remote));
            }
            else if (broken is not null)
            {
                // Accepted at RCPT (or not yet asked) but the end of data was never confirmed: not delivered as far as we know.
                (string status, string diagnostic) = RemoteFailure.Describe(broken, remote, "during the transaction");
                outcomes.Add(Outcomes.Deferred(rcpt, status, diagnostic, remote));
            }
            else if (finalReply is null)
            {
                outcomes.Add(Outcomes.Deferred(rcpt, "4.4.2", $"no final reply from {remote} to the end of data", remote));
            }
            else
            {
                outcomes.Add(ReplyClassifier.Classify(rcpt, 250, finalReply, remote));
            }
        }

        // Only a completed transaction leaves the session in a state we know; anything else ends it with QUIT.
        return new Transaction(outcomes, finalReply is not null && broken is null, broken);
    }
}
