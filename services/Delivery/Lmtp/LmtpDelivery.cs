using System.Net.Sockets;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Delivering;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Routing;
using EmailPipeline.Delivery.Smtp;
using EmailPipeline.Delivery.Telemetry;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace EmailPipeline.Delivery.Lmtp;

/// <summary>
/// LMTP (RFC 2033) to a local store: LHLO, MAIL, one RCPT per recipient, DATA, then one reply per accepted
/// recipient, each classified on its own (a full mailbox defers one recipient, not the message). No TLS:
/// LMTP runs on a trusted local network. A connection lost after DATA defers every recipient whose
/// reply had not arrived.
/// </summary>
public sealed class LmtpDelivery(
    HostConnector connector,
    HostCircuits circuits,
    DeliveryJournal journal,
    DeliveryMetrics metrics,
    IOptions<DeliveryOptions> options,
    ILogger<LmtpDelivery> logger) : ITransportDelivery
{
    public async Task<IReadOnlyList<RecipientOutcome>> DeliverAsync(DeliveryRequested request, DeliveryRoute route, CancellationToken cancellationToken)
    {
        RouteHost host = route.Hosts[0];
        string remote = host.Name;
        LmtpConnection connection;
        try
        {
            connection = await circuits.ExecuteAsync(host, ct => OpenAsync(host, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HostUnavailableException or BrokenCircuitException or TimeoutRejectedException)
        {
            HostFailure failure = ex is HostUnavailableException h ? h.Failure : new HostFailure(remote, 0, "4.4.1", $"{remote}: {ex.Message}");
            DeliveryLog.HostFailed(logger, request.MessageId, remote, failure.Status, failure.Diagnostic);
            return Outcomes.All(request.Recipients, r => Outcomes.Deferred(r, failure.Status, failure.Diagnostic, remote, failure.ReplyCode));
        }

        metrics.Connected(tls: false, "lmtp");
        await using (connection.ConfigureAwait(false))
        {
            var outcomes = new RecipientOutcome?[request.Recipients.Count];
            try
            {
                string mail = $"MAIL FROM:<{request.Sender}>"
                    // RFC 6152 §3: the parameter describes the content as it is, declared or not (as for SMTP).
                    + (request.Body != BodyType.SevenBit || SmtpBodyPlan.HasEightBitBody(request.Content) ? " BODY=8BITMIME" : "")
                    + (request.SmtpUtf8 ? " SMTPUTF8" : "");
                LmtpReply reply = await connection.CommandAsync(mail, cancellationToken).ConfigureAwait(false);
                if (!reply.IsPositive)
                {
                    return Outcomes.All(request.Recipients, r => ReplyClassifier.Classify(r, reply.Code, reply.Text, remote));
                }

                var accepted = new List<int>();
                for (int i = 0; i < request.Recipients.Count; i++)
                {
                    LmtpReply rcpt = await connection.CommandAsync($"RCPT TO:<{request.Recipients[i].Address}>", cancellationToken).ConfigureAwait(false);
                    if (rcpt.IsPositive)
                    {
                        accepted.Add(i);
                    }
                    else
                    {
                        outcomes[i] = ReplyClassifier.Classify(request.Recipients[i].Address, rcpt.Code, rcpt.Text, remote);
                    }
                }

                if (accepted.Count > 0)
                {
                    LmtpReply data = await connection.CommandAsync("DATA", cancellationToken).ConfigureAwait(false);
                    if (data.Code != 354)
                    {
                        foreach (int i in accepted)
                        {
                            outcomes[i] = ReplyClassifier.Classify(request.Recipients[i].Address, data.Code, data.Text, remote);
                        }
                    }
                    else
                    {
                        await connection.WriteDataAsync(request.Content, cancellationToken).ConfigureAwait(false);
                        foreach (int i in accepted)
                        {
                            LmtpReply each = await connection.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
                            outcomes[i] = ReplyClassifier.Classify(request.Recipients[i].Address, each.Code, each.Text, remote);
                        }
                    }
                }

                // Written before QUIT, the moment the store took them: a redelivery of this request skips them.
                journal.Record(request.AttemptId, outcomes.OfType<RecipientOutcome>().ToList());
                await QuitAsync(connection).ConfigureAwait(false);
            }
            catch (Exception ex) when (RemoteFailure.IsRemote(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Dropped, silent (the command timeout) or garbled: every recipient the store had not yet answered
                // for is deferred; the replies it did give stand.
                (string status, string diagnostic) = RemoteFailure.Describe(ex, remote, "during the transaction");
                DeliveryLog.HostFailed(logger, request.MessageId, remote, status, diagnostic);
                for (int i = 0; i < outcomes.Length; i++)
                {
                    outcomes[i] ??= Outcomes.Deferred(request.Recipients[i].Address, status, diagnostic, remote);
                }

                journal.Record(request.AttemptId, outcomes.OfType<RecipientOutcome>().ToList());
            }

            return outcomes.Select((o, i) => o ?? Outcomes.Deferred(request.Recipients[i].Address, "4.4.2", "no reply", remote)).ToList();
        }
    }

    private async ValueTask<LmtpConnection> OpenAsync(RouteHost host, CancellationToken cancellationToken)
    {
        (Socket socket, _) = await connector.ConnectAsync(host, cancellationToken).ConfigureAwait(false);
        var connection = new LmtpConnection(socket, options.Value.CommandTimeout);
        try
        {
            LmtpReply greeting = await connection.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
            LmtpReply lhlo = greeting.Code == 220
                ? await connection.CommandAsync($"LHLO {options.Value.HeloName}", cancellationToken).ConfigureAwait(false)
                : greeting;
            if (lhlo.Code != 250)
            {
                throw new HostUnavailableException(new HostFailure(host.Name, lhlo.Code, "4.4.2", $"{host.Name} refused the session: {lhlo.Code} {lhlo.Text}"));
            }

            return connection;
        }
        catch (Exception ex) when (RemoteFailure.IsRemote(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            (string status, string diagnostic) = RemoteFailure.Describe(ex, host.Name, "before the transaction");
            throw new HostUnavailableException(new HostFailure(host.Name, 0, status, diagnostic), ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task QuitAsync(LmtpConnection connection)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await connection.CommandAsync("QUIT", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (RemoteFailure.IsRemote(ex) || ex is OperationCanceledException)
        {
            // Every recipient already has its reply: a failed QUIT changes none of them.
        }
    }
}
