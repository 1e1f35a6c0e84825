using System.Diagnostics;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Lmtp;
using EmailPipeline.Delivery.Maildir;
using EmailPipeline.Delivery.Routing;
using EmailPipeline.Delivery.Smtp;
using EmailPipeline.Delivery.Telemetry;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Delivery.Delivering;

/// <summary>
/// One delivery attempt: route, deliver, one outcome per recipient, all inside the attempt timeout so the
/// input message is never held for long. Whatever is undecided when the timeout strikes is deferred (the
/// queue retries it; at worst a peer that did take the message sees it twice, as in every MTA).
/// </summary>
public sealed class DeliveryService(
    RoutePlanner planner,
    SmtpDelivery smtp,
    LmtpDelivery lmtp,
    MaildirDelivery maildir,
    DeliveryJournal journal,
    AttemptsInFlight inFlight,
    DeliveryMetrics metrics,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<DeliveryService> logger)
{
    public async Task<DeliveryAttempted> AttemptAsync(DeliveryRequested request, CancellationToken cancellationToken)
    {
        using Activity? activity = DeliveryMetrics.ActivitySource.StartActivity("delivery attempt", ActivityKind.Client);
        activity?.SetTag("emailpipeline.message_id", request.MessageId);
        activity?.SetTag("emailpipeline.attempt_id", request.AttemptId);
        activity?.SetTag("emailpipeline.destination", request.Destination);
        activity?.SetTag("emailpipeline.recipients", request.Recipients.Count);

        DateTimeOffset started = time.GetUtcNow();
        long startTimestamp = time.GetTimestamp();
        TimeSpan limit = options.Value.AttemptTimeout;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(limit);

        // A second copy of this attempt waits for the first, then reads what it did from the journal.
        using IDisposable turn = await inFlight.EnterAsync(request.AttemptId, cancellationToken).ConfigureAwait(false);

        // A redelivered request (this worker died after the remote's 250, before the outcome was confirmed and the
        // request acknowledged): whoever the remote already accepted under this attempt is not sent again.
        RecipientOutcome?[] known = new RecipientOutcome?[request.Recipients.Count];
        int knownCount = 0;
        for (int i = 0; i < known.Length; i++)
        {
            if (journal.TryGet(request.AttemptId, request.Recipients[i].Address, out RecipientOutcome recorded))
            {
                known[i] = recorded with { Recipient = request.Recipients[i].Address };
                knownCount++;
            }
        }

        DeliveryRequested pending = request;
        if (knownCount > 0)
        {
            DeliveryLog.AlreadyDelivered(logger, request.AttemptId, request.MessageId, knownCount);
            pending = request with { Recipients = request.Recipients.Where((_, i) => known[i] is null).ToList() };
        }

        string via = knownCount == known.Length ? "journal" : "none";
        string transport = "none";
        IReadOnlyList<RecipientOutcome> attempted = [];
        if (pending.Recipients.Count > 0)
        {
            try
            {
                DeliveryRoute route = await planner.PlanAsync(pending.Destination, attempt.Token).ConfigureAwait(false);
                via = route.Via;
                if (route.Failure is { } failure)
                {
                    DeliveryLog.RouteFailed(logger, request.MessageId, request.Destination, failure.EnhancedStatus, failure.Diagnostic);
                    attempted = Outcomes.All(pending.Recipients, r => new RecipientOutcome(r, failure.Outcome, failure.ReplyCode, failure.EnhancedStatus, failure.Diagnostic, null));
                }
                else
                {
                    transport = route.Kind.ToString().ToLowerInvariant();
                    ITransportDelivery delivery = route.Kind switch
                    {
                        TransportKind.Lmtp => lmtp,
                        TransportKind.Maildir => maildir,
                        _ => smtp,
                    };
                    attempted = await delivery.DeliverAsync(pending, route, attempt.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                DeliveryLog.AttemptTimedOut(logger, request.AttemptId, request.MessageId, limit);
                attempted = Outcomes.All(pending.Recipients, r => Outcomes.Deferred(r, "4.4.2", $"delivery attempt timed out after {limit}", null));
            }
            catch (Exception ex) when (RemoteFailure.IsRemote(ex))
            {
                // The transports turn remote failures into outcomes; one that slipped through still must not fault the
                // consumer (the request would wait in the error queue for an operator). Nothing was decided for it.
                (string status, string diagnostic) = RemoteFailure.Describe(ex, via, "during the attempt");
                DeliveryLog.RemoteFailureEscaped(logger, request.AttemptId, request.MessageId, transport, status, diagnostic);
                attempted = Outcomes.All(pending.Recipients, r => Outcomes.Deferred(r, status, diagnostic, null));
            }

            // Every transport records acceptances as they happen; this catches any it did not (a no-op otherwise).
            journal.Record(request.AttemptId, attempted);
        }

        IReadOnlyList<RecipientOutcome> outcomes = Merge(known, attempted);

        TimeSpan elapsed = time.GetElapsedTime(startTimestamp);
        metrics.Attempted(request.Destination, transport, outcomes, elapsed);
        int delivered = outcomes.Count(o => o.Outcome == DeliveryOutcome.Delivered);
        int deferred = outcomes.Count(o => o.Outcome == DeliveryOutcome.Deferred);
        int bounced = outcomes.Count - delivered - deferred;
        DeliveryLog.AttemptCompleted(logger, request.AttemptId, request.MessageId, request.Destination, via, delivered, deferred, bounced, (long)elapsed.TotalMilliseconds);
        foreach (RecipientOutcome o in outcomes)
        {
            DeliveryLog.RecipientResult(logger, request.MessageId, request.Destination, o.Outcome.ToString(), o.ReplyCode, o.EnhancedStatus, o.RemoteHost);
        }

        activity?.SetTag("emailpipeline.route", via);
        activity?.SetTag("emailpipeline.delivered", delivered);
        activity?.SetTag("emailpipeline.deferred", deferred);
        activity?.SetTag("emailpipeline.bounced", bounced);
        if (delivered < outcomes.Count)
        {
            activity?.SetStatus(ActivityStatusCode.Error, $"{deferred} deferred, {bounced} bounced");
        }

        return new DeliveryAttempted
        {
            MessageId = request.MessageId,
            AttemptId = request.AttemptId,
            Destination = request.Destination,
            AttemptNumber = request.AttemptNumber,
            AttemptedAt = started,
            Outcomes = outcomes,
            // The queue keeps no copy of the body: it comes back only when there is something to retry or a DSN
            // to write (a bounce returns the original; a success DSN its headers).
            Content = deferred > 0 || bounced > 0 || WantsSuccessDsn(request, outcomes) ? request.Content : null,
        };
    }

    /// <summary>The journal's outcomes in their places, the attempted ones (in order) in the others.</summary>
    private static IReadOnlyList<RecipientOutcome> Merge(RecipientOutcome?[] known, IReadOnlyList<RecipientOutcome> attempted)
    {
        var merged = new List<RecipientOutcome>(known.Length);
        int next = 0;
        foreach (RecipientOutcome? k in known)
        {
            merged.Add(k ?? attempted[next++]);
        }

        return merged;
    }

    private static bool WantsSuccessDsn(DeliveryRequested request, IReadOnlyList<RecipientOutcome> outcomes) =>
        request.Recipients.Any(r => r.Notify.HasFlag(DsnNotify.Success)
            && outcomes.Any(o => o.Recipient == r.Address && o.Outcome == DeliveryOutcome.Delivered));
}
