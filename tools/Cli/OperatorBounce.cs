using System.Security.Cryptography;
using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.Dsn;
using EmailPipeline.Queue.State;

namespace EmailPipeline.Cli;

/// <summary>
/// How <c>deadletters purge</c> turns a dead letter into bounces instead of destroying the only copy of the mail.
/// The Queue service owns every recipient's state and its DSNs: an outcome <c>Bounced</c> for a recipient, published
/// with the id of the recipient's live work (the attempt in flight, or the retry waiting in the delay queues), makes
/// the Queue record it bounced and send the failure DSN, once, as NOTIFY asks and never to the null sender. An outcome
/// for work that is no longer live (the recipient was delivered or bounced meanwhile) changes nothing.
///
/// <code>
/// dead letter            readable  →  what is published                                       verdict
/// ---------------------- --------- ---------------------------------------------------------- -----------------------
/// DeliveryRequested      yes          DeliveryAttempted(its AttemptId), every recipient Bounced  bounced
/// DeliveryRetryDue       yes          the same, from its Request                                 bounced
/// DeliveryAttempted      yes          the same message, each outcome not Delivered/Bounced       bounced (removed if all
///                                     turned Bounced                                             were delivered)
/// MessageAccepted        recorded     DeliveryAttempted per open recipient's work id, Bounced    bounced (removed if all
///                                                                                                are final already)
/// MessageAccepted        unrecorded   a failure DSN built here, as a new MessageAccepted from &lt;&gt;  bounced (removed with no
///                                     to the sender (Queue's DSN format, a stable queue id)      DSN: &lt;&gt; or NOTIFY=NEVER)
/// CheckMessage           —            nothing (a policy request; the ingress answered itself)    removed
/// anything else          no           nothing: it cannot be bounced                              left in place
/// </code>
/// Each bounced recipient gets reply code 0 (no server replied), status 5.3.0 (a failure of this mail system) and
/// the diagnostic <see cref="Diagnostic"/>, plus the last reply when there was one.
/// </summary>
public static class OperatorBounce
{
    public const int ReplyCode = 0;

    public const string Status = "5.3.0";

    public const string Diagnostic = "Removed from the dead-letter queue by the mail system administrator";

    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <param name="lookup">The Queue's record of a message, or null when it has none (only asked for a MessageAccepted).</param>
    public static async Task<PurgeAction> PlanAsync(
        DeadLetter letter, PurgeContext context, Func<string, CancellationToken, Task<MessageRecord?>> lookup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(letter);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(lookup);
        if (letter.Problem is { } problem)
        {
            return PurgeAction.Leave($"cannot be read: {problem}");
        }

        string? unreadable;
        if (letter.Is<DeliveryRequested>())
        {
            return FromRequest(letter, letter.As<DeliveryRequested>(out unreadable), unreadable, context);
        }

        if (letter.Is<DeliveryRetryDue>())
        {
            DeliveryRetryDue? retry = letter.As<DeliveryRetryDue>(out unreadable);
            return FromRequest(letter, retry?.Request, unreadable ?? "a DeliveryRetryDue without its request", context);
        }

        if (letter.Is<DeliveryAttempted>())
        {
            return FromAttempt(letter, letter.As<DeliveryAttempted>(out unreadable), unreadable, context);
        }

        if (letter.Is<MessageAccepted>())
        {
            MessageAccepted? accepted = letter.As<MessageAccepted>(out unreadable);
            if (accepted is null || accepted.MessageId is not { Length: > 0 } || accepted.Envelope?.Sender is null
                || accepted.Envelope.Recipients is not { Count: > 0 } || accepted.Envelope.Recipients.Any(r => r?.Address is not { Length: > 0 }))
            {
                return PurgeAction.Leave($"cannot be bounced: {unreadable ?? "a MessageAccepted without its id, sender or recipients"}");
            }

            MessageRecord? record = await lookup(accepted.MessageId, cancellationToken).ConfigureAwait(false);
            return record is null ? WithOwnDsn(letter, accepted, context) : FromRecord(letter, accepted, record, context);
        }

        if (letter.Is<CheckMessage>())
        {
            return PurgeAction.Remove("a policy check request: the ingress answered the SMTP client itself, no accepted mail depends on it");
        }

        return PurgeAction.Leave($"cannot be bounced: {letter.MessageType} is not a message that carries recipients");
    }

    /// <summary>The operator's bounce of one recipient; <paramref name="lastReply"/> is kept in the diagnostic.</summary>
    public static RecipientOutcome Outcome(string recipient, string? lastReply = null) =>
        new(recipient, DeliveryOutcome.Bounced, ReplyCode, Status, lastReply is { Length: > 0 } ? $"{Diagnostic}; last reply: {lastReply}" : Diagnostic, null);

    /// <summary>
    /// The queue id of the DSN this command builds for <paramref name="original"/>: the original's receive time and 80
    /// bits of a hash of its id. A second purge of the same letter (after a crash between publish and ack) publishes
    /// the same id, which the Queue takes for a duplicate: the sender gets one DSN, not two.
    /// </summary>
    public static string DsnQueueId(MessageAccepted original)
    {
        ArgumentNullException.ThrowIfNull(original);
        string time = QueueId.New(original.ReceivedAt)[..10]; // the first 10 digits hold the 48-bit timestamp
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes("deadletters-purge-dsn:" + original.MessageId));
        UInt128 bits = 0;
        for (int i = 0; i < 10; i++)
        {
            bits = (bits << 8) | hash[i];
        }

        Span<char> random = stackalloc char[16];
        for (int i = 15; i >= 0; i--)
        {
            random[i] = Crockford[(int)(bits & 31)];
            bits >>= 5;
        }

        return time + new string(random);
    }

    private static PurgeAction FromRequest(DeadLetter letter, DeliveryRequested? request, string? unreadable, PurgeContext context)
    {
        if (request is null || request.MessageId is not { Length: > 0 } || request.AttemptId is not { Length: > 0 }
            || request.Recipients is not { Count: > 0 } || request.Recipients.Any(r => r?.Address is not { Length: > 0 }))
        {
            return PurgeAction.Leave($"cannot be bounced: {unreadable ?? "a request without its message id, attempt id or recipients"}");
        }

        string[] recipients = [.. request.Recipients.Select(r => r.Address).Distinct(StringComparer.Ordinal)];
        string destination = request.Destination is { Length: > 0 } d ? d : DomainOf(recipients[0]);
        var bounce = new DeliveryAttempted
        {
            MessageId = request.MessageId,
            AttemptId = request.AttemptId,
            Destination = destination,
            AttemptNumber = Math.Max(1, request.AttemptNumber),
            AttemptedAt = context.Now,
            Outcomes = [.. recipients.Select(r => Outcome(r))],
            Content = request.Content,
        };
        return PurgeAction.Bounce(
            $"{request.MessageId}: {recipients.Length} recipient(s) at {destination} (attempt {request.AttemptId}) bounced through the Queue; {DsnNote(request.Sender, request.Recipients.Select(r => r.Notify))}",
            MassTransitEnvelope.Wrap(bounce, letter.ConversationId, context.Queue, context.Now));
    }

    private static PurgeAction FromAttempt(DeadLetter letter, DeliveryAttempted? attempt, string? unreadable, PurgeContext context)
    {
        if (attempt is null || attempt.MessageId is not { Length: > 0 } || attempt.AttemptId is not { Length: > 0 }
            || attempt.Outcomes is not { Count: > 0 } || attempt.Outcomes.Any(o => o?.Recipient is not { Length: > 0 }))
        {
            return PurgeAction.Leave($"cannot be bounced: {unreadable ?? "an outcome without its message id, attempt id or recipients"}");
        }

        // A remote's own bounce says more than ours; a delivery stays a delivery.
        RecipientOutcome[] outcomes = [.. attempt.Outcomes.Select(o => o.Outcome is DeliveryOutcome.Delivered or DeliveryOutcome.Bounced ? o : Outcome(o.Recipient, o.Diagnostic))];
        int bounced = outcomes.Count(o => o.Outcome == DeliveryOutcome.Bounced);
        int delivered = outcomes.Length - bounced;
        Publication republished = MassTransitEnvelope.Wrap(attempt with { Outcomes = outcomes }, letter.ConversationId, context.Queue, context.Now);
        string destination = attempt.Destination is { Length: > 0 } d ? d : DomainOf(outcomes[0].Recipient);
        return bounced == 0
            ? PurgeAction.Remove($"{attempt.MessageId}: all {delivered} recipient(s) at {destination} were delivered; the outcome is handed back to the Queue to record", republished)
            : PurgeAction.Bounce(
                $"{attempt.MessageId}: {bounced} recipient(s) at {destination} (attempt {attempt.AttemptId}) bounced through the Queue{(delivered > 0 ? $", {delivered} delivered" : "")}; the Queue sends the failure DSN NOTIFY asks for",
                republished);
    }

    /// <summary>The Queue recorded the message (its dispatch failed afterwards): bounce each open recipient's live work.</summary>
    private static PurgeAction FromRecord(DeadLetter letter, MessageAccepted accepted, MessageRecord record, PurgeContext context)
    {
        RecipientRecord[] open = [.. record.Recipients.Where(r => !r.State.IsFinal())];
        if (open.Length == 0)
        {
            return PurgeAction.Remove($"{accepted.MessageId}: recorded by the Queue and every recipient is final already; nothing to bounce");
        }

        // A recipient without a work id (written before work ids existed) is bounced by any outcome while Queued.
        Publication[] bounces = [.. open
            .GroupBy(r => (Work: r.WorkId ?? "", r.Domain))
            .Select(g => MassTransitEnvelope.Wrap(new DeliveryAttempted
            {
                MessageId = accepted.MessageId,
                AttemptId = g.Key.Work.Length > 0 ? g.Key.Work : Guid.NewGuid().ToString("N"),
                Destination = g.Key.Domain,
                AttemptNumber = g.Max(r => r.Attempts) + 1,
                AttemptedAt = context.Now,
                Outcomes = [.. g.Select(r => Outcome(r.Address, r.LastDiagnostic))],
                Content = accepted.Content,
            }, letter.ConversationId, context.Queue, context.Now))];
        return PurgeAction.Bounce(
            $"{accepted.MessageId}: recorded by the Queue; {open.Length} open recipient(s) bounced through the Queue; {DsnNote(record.Sender, open.Select(r => r.Notify))}",
            bounces);
    }

    /// <summary>The Queue never recorded the message, so it cannot bounce it: the failure DSN is built here, in the
    /// Queue's own format, and queued like any DSN (a new message from the null sender to the original sender).</summary>
    private static PurgeAction WithOwnDsn(DeadLetter letter, MessageAccepted accepted, PurgeContext context)
    {
        Envelope envelope = accepted.Envelope;
        if (envelope.Sender.Length == 0)
        {
            return PurgeAction.Remove($"{accepted.MessageId}: never recorded by the Queue; null sender, so no DSN (never a DSN about a DSN)");
        }

        EnvelopeRecipient[] owed = [.. envelope.Recipients.DistinctBy(r => r.Address, StringComparer.Ordinal).Where(r => WantsFailureDsn(r.Notify))];
        if (owed.Length == 0)
        {
            return PurgeAction.Remove($"{accepted.MessageId}: never recorded by the Queue; NOTIFY asks for no failure DSN");
        }

        var report = new DsnReport(DsnKind.Failure, context.ReportingMta, envelope.Sender, envelope.EnvelopeId, envelope.Return, accepted.ReceivedAt, accepted.MessageId,
            [.. owed.Select(r => new DsnRecipient(r.Address, r.OriginalRecipient, Status, null, ReplyCode, Diagnostic, context.Now, null))]);
        byte[] bytes;
        try
        {
            bytes = DeliveryStatusNotification.Build(report, accepted.Content, context.MaxReturnedSize, context.Now);
        }
        catch (FormatException e)
        {
            return PurgeAction.Leave($"cannot be bounced: the sender <{envelope.Sender}> is not an address a DSN can go to ({e.Message})");
        }

        var dsn = new MessageAccepted
        {
            MessageId = DsnQueueId(accepted),
            Envelope = new Envelope("", [new EnvelopeRecipient(envelope.Sender, DsnNotify.Never, null)], null, DsnReturn.Unspecified, BodyType.EightBitMime, envelope.SmtpUtf8, bytes.Length),
            Session = new SessionFacts("127.0.0.1", 0, context.ReportingMta, "cli", "internal", null, null, null, null),
            ReceivedAt = context.Now,
            Content = bytes,
        };
        return PurgeAction.Bounce(
            $"{accepted.MessageId}: never recorded by the Queue; failure DSN {dsn.MessageId} for {owed.Length} recipient(s) queued to <{envelope.Sender}>",
            MassTransitEnvelope.Wrap(dsn, letter.ConversationId, context.Queue, context.Now));
    }

    private static string DsnNote(string? sender, IEnumerable<DsnNotify> notify) =>
        sender is null ? "the Queue sends the failure DSN NOTIFY asks for"
        : sender.Length == 0 ? "no DSN (null sender)"
        : !notify.Any(WantsFailureDsn) ? "no DSN (NOTIFY asks for none)"
        : $"the Queue sends the failure DSN to <{sender}>";

    /// <summary>RFC 3461 §4.1, as the Queue reads NOTIFY: nothing for NEVER; FAILURE when given, or when NOTIFY was not given.</summary>
    private static bool WantsFailureDsn(DsnNotify notify) =>
        !notify.HasFlag(DsnNotify.Never) && (notify == DsnNotify.Default || notify.HasFlag(DsnNotify.Failure));

    private static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..].ToLowerInvariant();
}
