using EmailPipeline.Queue.Configuration;
using EmailPipeline.Queue.Lifecycle;
using EmailPipeline.Queue.Scheduling;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Telemetry;
using EmailPipeline.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Queue.Consumers;

/// <summary>
/// What every consumer of the Queue does with its input: load the message, decide (<see cref="RecipientLifecycle"/>),
/// apply the decision and its outbox rows in one transaction, then dispatch the rows. The input is acknowledged
/// only after that, so a crash anywhere repeats the input, which then finds its decision applied and dispatches
/// what is left of its rows.
/// </summary>
internal sealed class LifecycleRunner(
    IQueueStore store,
    OutboxComposer composer,
    OutboxDispatcher dispatcher,
    DestinationShaping shaping,
    DeclaredQueues topology,
    DelayLadder ladder,
    IOptions<QueueOptions> options,
    TimeProvider time,
    QueueMetrics metrics,
    IBus bus,
    ILogger<LifecycleRunner> logger)
{
    private const int MaxRounds = 20;

    /// <summary>For a consumer. The rows go out through the bus, not the consume context: a publish through the context
    /// is also awaited when the receive completes, so one that failed before a retry succeeded would still fault the
    /// input into the error queue after its work was done.</summary>
    public Task<LifecycleDecision> RunAsync(ConsumeContext context, LifecycleInput input, byte[]? content) =>
        RunAsync(bus, bus, input, content, context.ReceiveContext.Redelivered || context.GetRetryAttempt() > 0, context.CancellationToken);

    /// <param name="mayHaveLeftovers">The input may have been seen before (redelivered or retried): rows an earlier
    /// run committed but did not dispatch are looked up and sent.</param>
    public async Task<LifecycleDecision> RunAsync(IPublishEndpoint publish, ISendEndpointProvider send, LifecycleInput input, byte[]? content, bool mayHaveLeftovers, CancellationToken cancellationToken)
    {
        await topology.WhenDeclaredAsync(cancellationToken).ConfigureAwait(false);
        for (int round = 1; ; round++)
        {
            // A message seen for the first time has no record, and reading one costs a query on every accepted message:
            // its first round decides as if there were none. Should the message exist after all (a second copy of the
            // input), the insert conflicts, nothing is written, and the next round reads it.
            MessageRecord? record = round == 1 && input is LifecycleInput.Accepted && !mayHaveLeftovers
                ? null
                : await store.GetAsync(input.MessageId, cancellationToken).ConfigureAwait(false);
            var locks = new List<IAsyncDisposable>();
            LifecycleDecision decision;
            IReadOnlyList<OutboxRow> rows = [];
            DateTimeOffset now;
            bool applied;
            try
            {
                // The shaping verdicts are inputs of the decision; the destinations stay locked until the decision
                // (whose Queued recipients are the in-flight count of the next one) is committed.
                var mustWait = new HashSet<string>(StringComparer.Ordinal);
                foreach (string destination in Destinations(record, input))
                {
                    if (await shaping.EnterAsync(destination, cancellationToken).ConfigureAwait(false) is { } held)
                    {
                        locks.Add(held);
                        if (await shaping.MustWaitAsync(destination, input.MessageId, cancellationToken).ConfigureAwait(false))
                        {
                            mustWait.Add(destination);
                            metrics.Shaped(destination);
                        }
                    }
                }

                now = time.GetUtcNow();
                decision = RecipientLifecycle.Decide(record, input, Rules(now, mustWait));
                applied = !decision.ChangesAnything;
                if (!applied)
                {
                    rows = composer.Compose(decision, record, input, content, now);
                    applied = await store.ApplyAsync(input.MessageId, record?.Version, decision, rows, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                for (int i = locks.Count - 1; i >= 0; i--)
                {
                    await locks[i].DisposeAsync().ConfigureAwait(false);
                }
            }

            if (!applied)
            {
                if (round >= MaxRounds)
                {
                    throw new InvalidOperationException($"{input.MessageId}: the record kept changing under {MaxRounds} decisions; the input is retried");
                }

                continue;
            }

            Observe(record, decision, now);
            if (mayHaveLeftovers || !decision.ChangesAnything)
            {
                rows = await LiveLeftoversAsync(input.MessageId, cancellationToken).ConfigureAwait(false);
            }

            await dispatcher.DispatchAsync(publish, send, rows, content, cancellationToken).ConfigureAwait(false);
            return decision;
        }
    }

    /// <summary>
    /// Rows of this message still in the outbox whose work is still live: a Deliver or Delay row whose attempt is no
    /// longer any recipient's work was dispatched before a crash (or overtaken), and sending it again would deliver
    /// twice; it is dropped. DSN rows always go (their message id makes a second copy a duplicate at the Queue).
    /// </summary>
    private async Task<IReadOnlyList<OutboxRow>> LiveLeftoversAsync(string messageId, CancellationToken cancellationToken)
    {
        IReadOnlyList<OutboxRow> rows = await store.GetOutboxAsync(messageId, 1000, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return rows;
        }

        MessageRecord? record = await store.GetAsync(messageId, cancellationToken).ConfigureAwait(false);
        var live = new List<OutboxRow>();
        var dead = new List<OutboxRow>();
        foreach (OutboxRow row in rows)
        {
            (IsLive(row, record) ? live : dead).Add(row);
        }

        store.MarkDispatched(dead.Select(r => r.Id));
        return live;

        static bool IsLive(OutboxRow row, MessageRecord? record) => row.Kind == OutboxKind.Notify || (record is not null && OutboxWork.IsLive(row, record));
    }

    private LifecycleRules Rules(DateTimeOffset now, IReadOnlySet<string> mustWait)
    {
        QueueOptions o = options.Value;
        return new LifecycleRules(now, o.MaxQueueLifetime, o.DelayDsnAfter, new RetrySchedule(o.EffectiveRetrySchedule), ladder, o.StrandedAfter, mustWait,
            () => NewId.NextGuid().ToString("N"));
    }

    /// <summary>The destinations this input may hand work to (and so must ask shaping about).</summary>
    private static IEnumerable<string> Destinations(MessageRecord? record, LifecycleInput input) => input switch
    {
        LifecycleInput.Accepted a when record is null => a.Message.Envelope.Recipients.Select(r => EnvelopeRecipients.DomainOf(r.Address)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal),
        LifecycleInput.RetryDue r => [r.Retry.Request.Destination],
        _ => [],
    };

    private void Observe(MessageRecord? record, LifecycleDecision decision, DateTimeOffset now)
    {
        if (decision.Why is { } why)
        {
            QueueLog.NothingToDo(logger, decision.NewMessage?.MessageId ?? record?.MessageId ?? "", why);
            return;
        }

        if (decision.NewMessage is { } m)
        {
            metrics.Recorded();
            QueueLog.Recorded(logger, m.MessageId, m.Envelope.IsNullSender ? "<>" : m.Envelope.Sender, m.Envelope.Recipients.Count);
        }

        string messageId = decision.NewMessage?.MessageId ?? record?.MessageId ?? "";
        DateTimeOffset receivedAt = decision.NewMessage?.ReceivedAt ?? record?.ReceivedAt ?? now;
        foreach (RecipientChange change in decision.Changes)
        {
            string destination = EnvelopeRecipients.DomainOf(change.Address);
            switch (change.State)
            {
                case RecipientState.Delivered:
                    metrics.Delivered(destination, now - receivedAt);
                    break;
                case RecipientState.Bounced or RecipientState.Expired:
                    metrics.Outcome(change.State.ToString().ToLowerInvariant(), destination);
                    break;
                case RecipientState.Deferred when change.Reply is not null:
                    metrics.Outcome("deferred", destination);
                    break;
            }

            if (change.Reply is { } reply)
            {
                QueueLog.Outcome(logger, messageId, change.Address, change.State.ToString(), reply.Code, reply.EnhancedStatus, reply.RemoteHost);
            }
        }

        foreach (LifecycleOutput output in decision.Outputs)
        {
            switch (output)
            {
                case LifecycleOutput.Deliver d:
                    metrics.Dispatched(d.Destination, d.Recipients.Count);
                    break;
                case LifecycleOutput.Delay d when d.AttemptNumber > 1 && decision.Attempts.Count > 0:
                    QueueLog.Deferred(logger, messageId, d.Recipients.Count, d.DueAt, d.AttemptNumber - 1);
                    break;
                case LifecycleOutput.Notify n:
                    metrics.DsnSent(n.Kind);
                    QueueLog.DsnSent(logger, n.Kind.ToString(), messageId, n.Recipients.Count);
                    break;
            }
        }
    }
}
