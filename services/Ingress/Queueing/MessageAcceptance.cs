using System.Diagnostics;
using EmailPipeline.Contracts;
using EmailPipeline.Ingress.Configuration;
using EmailPipeline.Ingress.Telemetry;
using EmailPipeline.Smtp.Replies;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Queueing;

/// <summary>
/// The end of DATA: ask policy for a verdict, then publish <see cref="MessageAccepted"/> (mandatory, with
/// publisher confirms) and answer 250 only once the broker confirmed it into a queue. Any failure to
/// get that confirm means the message is not durably ours, so the answer is 451 4.3.0 and the client
/// keeps the message and retries.
/// </summary>
internal sealed class MessageAcceptance(
    IBus bus,
    IOptions<IngressOptions> ingress,
    IOptions<PolicyOptions> policy,
    IOptions<SmtpLimits> limits,
    IngressMetrics metrics,
    ILogger<MessageAcceptance> logger)
{
    private readonly IRequestClient<CheckMessage> _policyClient =
        bus.CreateRequestClient<CheckMessage>(RequestTimeout.After(ms: (int)policy.Value.Timeout.TotalMilliseconds));

    public async Task<SmtpReply> AcceptAsync(MessageDraft draft, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        string prepend = "";
        string? authServId = null;
        bool quarantine = false;
        byte[]? body = null;

        if (policy.Value.Mode == PolicyMode.On)
        {
            body = draft.Body();
            if (TooManyHops(body))
            {
                return Looping(draft);
            }

            var check = new CheckMessage
            {
                MessageId = draft.QueueId,
                Envelope = draft.Envelope,
                Session = draft.Session,
                Content = body,
            };
            PolicyVerdict? verdict = await AskPolicyAsync(check, cancellationToken).ConfigureAwait(false);
            if (verdict is null)
            {
                if (policy.Value.FailureMode == PolicyFailureMode.Closed)
                {
                    metrics.PolicyFailure("closed");
                    metrics.Rejected(draft.Session.Listener, "policy_unavailable");
                    return SmtpReplies.PolicyUnavailable;
                }

                metrics.PolicyFailure("open");
            }
            else if (verdict.Action != PolicyAction.Accept)
            {
                metrics.Rejected(draft.Session.Listener, verdict.Action == PolicyAction.Reject ? "policy_reject" : "policy_tempfail");
                return ToReply(verdict);
            }
            else
            {
                prepend = verdict.HeadersToPrepend;
                authServId = verdict.AuthServId;
                quarantine = verdict.Quarantine;
            }
        }

        byte[] content = draft.Assemble(prepend, string.IsNullOrEmpty(authServId) ? OurAuthServId : authServId);
        if (body is null && TooManyHops(content.AsSpan(draft.ReceivedHeader.Length)))
        {
            return Looping(draft);
        }

        // The publish needs only the assembled copy: give the buffered segments (and the policy's copy) back now.
        // On its way to the broker the body exists several times over anyway: this array, MassTransit's JSON with
        // the content in base64 (and the pooled buffer it grew in), the client's frame. The session's share of the
        // body budget stays held until the publish is over.
        draft.Content.Clear();
        body = null;
        var accepted = new MessageAccepted
        {
            MessageId = draft.QueueId,
            Envelope = draft.Envelope,
            Session = draft.Session,
            ReceivedAt = draft.ReceivedAt,
            Content = content,
            Quarantined = quarantine,
            TraceParent = Activity.Current?.Id,
        };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ingress.Value.PublishTimeout);
        try
        {
            // Mandatory: a message no queue took comes back as an error instead of a silent confirm.
            await bus.Publish(accepted, context => context.Mandatory = true, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MassTransitException or OperationCanceledException or TimeoutException or IOException
                                       or RabbitMQ.Client.Exceptions.RabbitMQClientException or InvalidOperationException)
        {
            IngressLog.QueueFailed(logger, draft.SessionId, draft.QueueId, ex.GetType().Name + ": " + ex.Message);
            metrics.Rejected(draft.Session.Listener, "queue_unavailable");
            return SmtpReplies.QueueUnavailable;
        }

        metrics.MessageAccepted(draft.Session.Listener, draft.Session.IsTls, content.Length, Stopwatch.GetElapsedTime(started));
        IngressLog.MessageQueued(logger, draft.SessionId, draft.QueueId, draft.Envelope.IsNullSender ? "<>" : draft.Envelope.Sender, draft.Envelope.Recipients.Count, content.Length);
        return new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), $"Ok: queued as {draft.QueueId}");
    }

    private string OurAuthServId => string.IsNullOrWhiteSpace(policy.Value.AuthServId) ? ingress.Value.HostName : policy.Value.AuthServId;

    /// <summary>The client's header section already holds <see cref="SmtpLimits.MaxHops"/> Received: fields or more.</summary>
    private bool TooManyHops(ReadOnlySpan<byte> clientContent)
    {
        int limit = limits.Value.MaxHops;
        return limit > 0 && HeaderFields.Count(clientContent, "Received"u8, limit) >= limit;
    }

    private SmtpReply Looping(MessageDraft draft)
    {
        metrics.Rejected(draft.Session.Listener, "too_many_hops");
        return SmtpReplies.TooManyHops;
    }

    private async Task<PolicyVerdict?> AskPolicyAsync(CheckMessage check, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            Response<PolicyVerdict> response = await _policyClient.GetResponse<PolicyVerdict>(check, cancellationToken).ConfigureAwait(false);
            metrics.PolicyAnswered(response.Message.Action.ToString().ToLowerInvariant(), Stopwatch.GetElapsedTime(started));
            return response.Message;
        }
        catch (Exception ex) when (ex is RequestTimeoutException or MassTransitException or OperationCanceledException or TimeoutException)
        {
            metrics.PolicyAnswered("timeout", Stopwatch.GetElapsedTime(started));
            IngressLog.PolicyUnavailable(logger, check.MessageId, policy.Value.FailureMode.ToString());
            return null;
        }
    }

    private static SmtpReply ToReply(PolicyVerdict verdict)
    {
        int code = verdict.ReplyCode is >= 400 and < 600 ? verdict.ReplyCode : verdict.Action == PolicyAction.Reject ? 550 : 451;
        if (!EnhancedStatusCode.TryParse(verdict.EnhancedStatus, out EnhancedStatusCode status) || status.Class != code / 100)
        {
            status = new EnhancedStatusCode(code / 100, 7, 1);
        }

        string text = string.IsNullOrWhiteSpace(verdict.ReplyText) ? "Message refused by policy" : verdict.ReplyText.ReplaceLineEndings(" ");
        return new SmtpReply(code, status, text);
    }
}
