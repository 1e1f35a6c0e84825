using EmailPipeline.Contracts;
using EmailPipeline.Queue.Consumers;
using EmailPipeline.Queue.Dsn;
using EmailPipeline.Queue.State;

namespace EmailPipeline.Queue.Lifecycle;

/// <summary>
/// The recipient lifecycle, as one decision table. Each recipient is Queued (one delivery in flight, its work id
/// the attempt's id), Deferred (one retry in the delay queues, its work id the next attempt's id) or final
/// (Delivered, Bounced, Expired, Deleted). An input acts only on recipients whose live work it is; anything else
/// is a duplicate or stale and changes nothing, which is what makes every consumer idempotent on redelivery.
///
/// <code>
/// input        recipient now               condition                      → new state       causes
/// ------------ --------------------------- ------------------------------ ---------------- ------------------------------
/// accepted     (message unknown)           destination free               Queued(w)        Deliver(w)
/// accepted     (message unknown)           destination over its limits    Deferred(w)      Delay(w, one step)
/// accepted     (message known)             —                              —                — (duplicate)
/// attempted    Queued/Deferred, work = a   delivered                      Delivered        success DSN if NOTIFY=SUCCESS
/// attempted    Queued/Deferred, work = a   bounced                        Bounced          failure DSN
/// attempted    Queued/Deferred, work = a   deferred, operator bounce      Bounced          failure DSN (5.0.0)
/// attempted    Queued/Deferred, work = a   deferred, past lifetime        Expired          failure DSN
/// attempted    Queued/Deferred, work = a   deferred                       Deferred(w')     Delay(w'), delay DSN once
/// attempted    any other                   —                              —                — (duplicate or stale)
/// retry due    Deferred, work = r          operator bounce                Bounced          failure DSN (5.0.0)
/// retry due    Deferred, work = r          past lifetime                  Expired          failure DSN (4.4.7)
/// retry due    Deferred, work = r          held                           Deferred(r)      Delay(r, longest step)
/// retry due    Deferred, work = r          not due, no flush              Deferred(r)      Delay(r, towards due)
/// retry due    Deferred, work = r          due, destination over limits   Deferred(r)      Delay(r, one step)
/// retry due    Deferred, work = r          due (or flushed)               Queued(r)        Deliver(r)
/// retry due    any other                   —                              —                — (stale copy)
/// swept        Deferred                    due + longest step + bound     Expired          failure DSN (4.4.7)
/// swept        Queued                      lifetime + bound               Expired          failure DSN (4.4.7)
/// </code>
/// A DSN is never sent for the null sender, never twice of one kind for one recipient, and only as NOTIFY asks.
/// </summary>
public static class RecipientLifecycle
{
    public static LifecycleDecision Decide(MessageRecord? message, LifecycleInput input, LifecycleRules rules)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(rules);
        return input switch
        {
            LifecycleInput.Accepted a => OnAccepted(message, a.Message, rules),
            _ when message is null => LifecycleDecision.Nothing("unknown message"),
            LifecycleInput.Attempted a => OnAttempted(message, a.Attempt, rules),
            LifecycleInput.RetryDue r => OnRetryDue(message, r.Retry, rules),
            LifecycleInput.Swept => OnSwept(message, rules),
            _ => throw new ArgumentOutOfRangeException(nameof(input), input.GetType().Name, "not a lifecycle input"),
        };
    }

    private static LifecycleDecision OnAccepted(MessageRecord? message, MessageAccepted accepted, LifecycleRules rules)
    {
        if (message is not null)
        {
            return LifecycleDecision.Nothing("duplicate accepted message");
        }

        var changes = new List<RecipientChange>();
        var outputs = new List<LifecycleOutput>();
        foreach (IGrouping<string, EnvelopeRecipient> group in accepted.Envelope.Recipients
                     .DistinctBy(r => r.Address, StringComparer.Ordinal)
                     .GroupBy(r => EnvelopeRecipients.DomainOf(r.Address)))
        {
            string work = rules.NewWorkId();
            EnvelopeRecipient[] recipients = group.ToArray();
            if (rules.MustWait.Contains(group.Key))
            {
                DateTimeOffset due = rules.Now + rules.Precision;
                changes.AddRange(recipients.Select(r => new RecipientChange(r.Address, RecipientState.Deferred, work, due, DsnKinds.None)));
                outputs.Add(new LifecycleOutput.Delay(group.Key, work, 1, recipients, due, rules.Precision));
            }
            else
            {
                changes.AddRange(recipients.Select(r => new RecipientChange(r.Address, RecipientState.Queued, work, null, DsnKinds.None)));
                outputs.Add(new LifecycleOutput.Deliver(group.Key, work, 1, recipients));
            }
        }

        return new LifecycleDecision { NewMessage = accepted, Changes = changes, Outputs = outputs };
    }

    private static LifecycleDecision OnAttempted(MessageRecord message, DeliveryAttempted attempt, LifecycleRules rules)
    {
        Dictionary<string, RecipientRecord> live = message.Recipients
            .Where(r => !r.State.IsFinal() && (r.WorkId == attempt.AttemptId || (r.WorkId is null && r.State == RecipientState.Queued)))
            .ToDictionary(r => r.Address, StringComparer.Ordinal);
        var changes = new List<RecipientChange>();
        var attempts = new List<AttemptRecord>();
        var notices = new DsnCollector(message);
        var retry = new List<RecipientRecord>();
        bool expired = rules.Now - message.ReceivedAt >= rules.MaxQueueLifetime;

        foreach (RecipientOutcome outcome in attempt.Outcomes.DistinctBy(o => o.Recipient, StringComparer.Ordinal))
        {
            if (!live.Remove(outcome.Recipient, out RecipientRecord? r))
            {
                continue;
            }

            attempts.Add(new AttemptRecord(message.MessageId, attempt.AttemptId, attempt.AttemptNumber, r.Address, outcome.Outcome,
                outcome.ReplyCode, outcome.EnhancedStatus, outcome.Diagnostic, outcome.RemoteHost, attempt.AttemptedAt));
            var reply = new RecipientReply(outcome.ReplyCode, outcome.EnhancedStatus, outcome.Diagnostic, outcome.RemoteHost);
            var dsn = new DsnRecipient(r.Address, r.OriginalRecipient, outcome.EnhancedStatus, outcome.RemoteHost, outcome.ReplyCode,
                outcome.Diagnostic, attempt.AttemptedAt, null);
            switch (outcome.Outcome)
            {
                case DeliveryOutcome.Delivered:
                    changes.Add(new RecipientChange(r.Address, RecipientState.Delivered, null, null, notices.Add(r, DsnKind.Success, dsn), reply));
                    break;
                case DeliveryOutcome.Bounced:
                    changes.Add(new RecipientChange(r.Address, RecipientState.Bounced, null, null, notices.Add(r, DsnKind.Failure, dsn), reply));
                    break;
                case DeliveryOutcome.Deferred when message.BounceRequested:
                    changes.Add(new RecipientChange(r.Address, RecipientState.Bounced, null, null,
                        notices.Add(r, DsnKind.Failure, dsn with { Status = "5.0.0", Diagnostic = OperatorBounce(outcome.Diagnostic) }), reply));
                    break;
                case DeliveryOutcome.Deferred when expired || attempt.Content is null:
                    // Without the content nothing can be retried; it comes back with every deferral, so this is a
                    // Delivery worker that broke the contract, and the sender hears of it rather than nobody.
                    changes.Add(new RecipientChange(r.Address, RecipientState.Expired, null, null,
                        notices.Add(r, DsnKind.Failure, dsn with { Status = ExpiredStatus(outcome.EnhancedStatus) }), reply));
                    break;
                default:
                    retry.Add(r with { LastReplyCode = outcome.ReplyCode, LastEnhancedStatus = outcome.EnhancedStatus, LastDiagnostic = outcome.Diagnostic, LastRemoteHost = outcome.RemoteHost });
                    break;
            }
        }

        if (attempts.Count == 0)
        {
            return LifecycleDecision.Nothing("duplicate or stale outcome");
        }

        var outputs = new List<LifecycleOutput>();
        if (retry.Count > 0)
        {
            string work = rules.NewWorkId();
            DateTimeOffset due = rules.Now + rules.RetryWaitAfter(attempt.AttemptNumber);
            bool delayNoticeDue = rules.Now - message.ReceivedAt >= rules.DelayDsnAfter && !message.DelayDsnSent;
            foreach (RecipientRecord r in retry)
            {
                DsnKinds sent = r.DsnSent;
                if (delayNoticeDue)
                {
                    var dsn = new DsnRecipient(r.Address, r.OriginalRecipient, r.LastEnhancedStatus ?? "4.0.0", r.LastRemoteHost, r.LastReplyCode ?? 0,
                        r.LastDiagnostic ?? "", attempt.AttemptedAt, message.ReceivedAt + rules.MaxQueueLifetime);
                    sent = notices.Add(r, DsnKind.Delay, dsn);
                }

                changes.Add(new RecipientChange(r.Address, RecipientState.Deferred, work, due, sent,
                    new RecipientReply(r.LastReplyCode ?? 0, r.LastEnhancedStatus ?? "", r.LastDiagnostic ?? "", r.LastRemoteHost)));
            }

            // DSNs first: they are complete rows, so a failed retry send does not hold them back (nor repeat them).
            outputs.AddRange(notices.Outputs());
            outputs.Add(new LifecycleOutput.Delay(attempt.Destination, work, attempt.AttemptNumber + 1, retry.Select(r => r.ToEnvelope()).ToArray(),
                due, rules.NextHop(due - rules.Now)));
        }
        else
        {
            outputs.AddRange(notices.Outputs());
        }

        return new LifecycleDecision { Changes = changes, Attempts = attempts, Outputs = outputs, ClearFlush = message.FlushRequested };
    }

    private static LifecycleDecision OnRetryDue(MessageRecord message, DeliveryRetryDue retry, LifecycleRules rules)
    {
        DeliveryRequested request = retry.Request;
        var wanted = request.Recipients.Select(r => r.Address).ToHashSet(StringComparer.Ordinal);
        RecipientRecord[] waiting = message.Recipients
            .Where(r => wanted.Contains(r.Address) && r.State == RecipientState.Deferred
                        && (r.WorkId == request.AttemptId || (r.WorkId is null && r.NextAttemptAt == retry.DueAt)))
            .ToArray();
        if (waiting.Length == 0)
        {
            return LifecycleDecision.Nothing("stale retry");
        }

        bool expired = rules.Now - message.ReceivedAt >= rules.MaxQueueLifetime;
        if (message.BounceRequested || expired)
        {
            var notices = new DsnCollector(message);
            string status = message.BounceRequested ? "5.0.0" : "4.4.7";
            string why = message.BounceRequested ? "Message bounced by the mail system administrator" : $"Delivery time expired after {rules.MaxQueueLifetime}";
            RecipientState final = message.BounceRequested ? RecipientState.Bounced : RecipientState.Expired;
            var changes = waiting.Select(r => new RecipientChange(r.Address, final, null, null, notices.Add(r, DsnKind.Failure, new DsnRecipient(
                    r.Address, r.OriginalRecipient, r.LastEnhancedStatus is { Length: > 0 } s && !message.BounceRequested ? s : status, r.LastRemoteHost,
                    r.LastReplyCode ?? 0, r.LastDiagnostic is { Length: > 0 } d ? $"{why}; last reply: {d}" : why, r.UpdatedAt, null))))
                .ToArray();
            return new LifecycleDecision { Changes = changes, Outputs = notices.Outputs() };
        }

        EnvelopeRecipient[] recipients = waiting.Select(r => r.ToEnvelope()).ToArray();
        if (message.Held)
        {
            // Held mail keeps its body in the broker by circling the longest delay until released.
            return Hop(request, recipients, rules.Now + rules.LongestStep, rules.LongestStep);
        }

        bool due = message.FlushRequested || retry.DueAt - rules.Now <= rules.Precision / 2;
        if (!due)
        {
            return Hop(request, recipients, retry.DueAt, rules.NextHop(retry.DueAt - rules.Now));
        }

        if (rules.MustWait.Contains(request.Destination))
        {
            DateTimeOffset next = rules.Now + rules.Precision;
            return new LifecycleDecision
            {
                Changes = waiting.Select(r => new RecipientChange(r.Address, RecipientState.Deferred, request.AttemptId, next, r.DsnSent)).ToArray(),
                Outputs = [new LifecycleOutput.Delay(request.Destination, request.AttemptId, request.AttemptNumber, recipients, next, rules.Precision)],
            };
        }

        return new LifecycleDecision
        {
            Changes = waiting.Select(r => new RecipientChange(r.Address, RecipientState.Queued, request.AttemptId, null, r.DsnSent)).ToArray(),
            Outputs = [new LifecycleOutput.Deliver(request.Destination, request.AttemptId, request.AttemptNumber, recipients)],
            ClearFlush = message.FlushRequested,
        };
    }

    private static LifecycleDecision Hop(DeliveryRequested request, EnvelopeRecipient[] recipients, DateTimeOffset due, TimeSpan hop) => new()
    {
        Outputs = [new LifecycleOutput.Delay(request.Destination, request.AttemptId, request.AttemptNumber, recipients, due, hop)],
    };

    private static LifecycleDecision OnSwept(MessageRecord message, LifecycleRules rules)
    {
        RecipientRecord[] lost = message.Recipients.Where(r => IsStranded(message, r, rules)).ToArray();
        if (lost.Length == 0)
        {
            return LifecycleDecision.Nothing("no stranded recipient");
        }

        var notices = new DsnCollector(message);
        const string why = "No delivery work is left for this recipient (its retry was lost); given up";
        var changes = lost.Select(r => new RecipientChange(r.Address, RecipientState.Expired, null, null, notices.Add(r, DsnKind.Failure, new DsnRecipient(
                r.Address, r.OriginalRecipient, "4.4.7", r.LastRemoteHost, r.LastReplyCode ?? 0,
                r.LastDiagnostic is { Length: > 0 } d ? $"{why}; last reply: {d}" : why, r.UpdatedAt, null))))
            .ToArray();
        return new LifecycleDecision { Changes = changes, Outputs = notices.Outputs() };
    }

    /// <summary>
    /// Live work that can no longer come: a retry that should have surfaced from the longest delay step long ago,
    /// or a delivery still in flight long after the message's lifetime. A delivery merely waiting in a long
    /// delivery queue (workers down for hours) is not stranded while the message is within its lifetime.
    /// </summary>
    public static bool IsStranded(MessageRecord message, RecipientRecord r, LifecycleRules rules)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(rules);
        return r.State switch
        {
            RecipientState.Deferred => (r.NextAttemptAt ?? r.UpdatedAt) + rules.LongestStep + rules.StrandedAfter <= rules.Now,
            RecipientState.Queued => message.ReceivedAt + rules.MaxQueueLifetime + rules.StrandedAfter <= rules.Now,
            _ => false,
        };
    }

    private static string OperatorBounce(string lastReply) =>
        lastReply.Length > 0 ? $"Message bounced by the mail system administrator; last reply: {lastReply}" : "Message bounced by the mail system administrator";

    /// <summary>An expired recipient's Status stays what the last attempt said, or 4.4.7 (delivery time expired).</summary>
    private static string ExpiredStatus(string lastStatus) => string.IsNullOrEmpty(lastStatus) ? "4.4.7" : lastStatus;

    /// <summary>Gathers the DSNs of one decision, one per kind, each recipient at most once per kind.</summary>
    private sealed class DsnCollector(MessageRecord message)
    {
        private readonly Dictionary<DsnKind, List<DsnRecipient>> _byKind = [];

        /// <summary>Adds the recipient to a DSN of <paramref name="kind"/> if it wants one and has not had one;
        /// returns the recipient's DSN flags afterwards.</summary>
        public DsnKinds Add(RecipientRecord r, DsnKind kind, DsnRecipient dsn)
        {
            DsnKinds flag = kind switch { DsnKind.Failure => DsnKinds.Failure, DsnKind.Delay => DsnKinds.Delay, _ => DsnKinds.Success };
            DsnNotify wanted = kind switch { DsnKind.Failure => DsnNotify.Failure, DsnKind.Delay => DsnNotify.Delay, _ => DsnNotify.Success };
            if (message.Sender.Length == 0 || r.DsnSent.HasFlag(flag) || !r.Notify.Wants(wanted))
            {
                return r.DsnSent; // never a DSN about a DSN (null sender, RFC 3461 §6.2), nor one twice
            }

            if (!_byKind.TryGetValue(kind, out List<DsnRecipient>? list))
            {
                _byKind[kind] = list = [];
            }

            list.Add(dsn);
            return r.DsnSent | flag;
        }

        public IReadOnlyList<LifecycleOutput> Outputs() =>
            _byKind.OrderBy(k => k.Key).Select(k => (LifecycleOutput)new LifecycleOutput.Notify(k.Key, k.Value)).ToArray();
    }
}
