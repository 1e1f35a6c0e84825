using EmailPipeline.Contracts;
using EmailPipeline.Queue.Configuration;
using EmailPipeline.Queue.Dsn;
using EmailPipeline.Queue.Scheduling;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Queue.Consumers;

/// <summary>
/// Takes a delivery attempt's outcomes to each recipient's next state: delivered (success DSN if asked),
/// bounced (failure DSN), expired (failure DSN) or deferred (a retry into the delay queues, and a delay
/// DSN once if asked). Outputs are published before the state is recorded, so a crash in between repeats
/// them (at least once) rather than losing a retry.
/// </summary>
internal sealed class DeliveryAttemptedConsumer(
    IQueueStore store,
    DeliveryDispatch dispatch,
    DsnPublisher dsns,
    IOptions<QueueOptions> options,
    QueueMetrics metrics,
    ILogger<DeliveryAttemptedConsumer> logger) : IConsumer<DeliveryAttempted>
{
    public async Task Consume(ConsumeContext<DeliveryAttempted> context)
    {
        DeliveryAttempted a = context.Message;
        CancellationToken ct = context.CancellationToken;
        MessageRecord? record = await store.GetAsync(a.MessageId, ct).ConfigureAwait(false);
        if (record is null)
        {
            QueueLog.UnknownMessage(logger, a.MessageId);
            return;
        }

        IReadOnlyList<AttemptRecord> known = await store.GetAttemptsAsync(a.MessageId, ct).ConfigureAwait(false);
        if (known.Any(x => x.AttemptId == a.AttemptId))
        {
            QueueLog.DuplicateAttempt(logger, a.AttemptId, a.MessageId);
            return;
        }

        QueueOptions o = options.Value;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        bool expired = now - record.ReceivedAt >= o.MaxQueueLifetime;
        var byAddress = record.Recipients.ToDictionary(r => r.Address, StringComparer.Ordinal);
        var failed = new List<DsnRecipient>();
        var succeeded = new List<DsnRecipient>();
        var delayed = new List<DsnRecipient>();
        var retry = new List<EnvelopeRecipient>();
        var expiredRecipients = new List<string>();

        foreach (RecipientOutcome outcome in a.Outcomes)
        {
            if (!byAddress.TryGetValue(outcome.Recipient, out RecipientRecord? r) || r.State.IsFinal())
            {
                continue; // deleted by the operator, or a duplicate outcome
            }

            QueueLog.Outcome(logger, a.MessageId, outcome.Recipient, outcome.Outcome.ToString(), outcome.ReplyCode, outcome.EnhancedStatus, outcome.RemoteHost);
            var dsn = new DsnRecipient(r.Address, r.OriginalRecipient, outcome.EnhancedStatus, outcome.RemoteHost, outcome.ReplyCode, outcome.Diagnostic, a.AttemptedAt, null);
            switch (outcome.Outcome)
            {
                case DeliveryOutcome.Delivered:
                    metrics.Delivered(a.Destination, now - record.ReceivedAt);
                    if (r.Notify.Wants(DsnNotify.Success))
                    {
                        succeeded.Add(dsn);
                    }

                    break;
                case DeliveryOutcome.Bounced:
                    metrics.Outcome("bounced", a.Destination);
                    if (r.Notify.Wants(DsnNotify.Failure))
                    {
                        failed.Add(dsn);
                    }

                    break;
                default:
                    if (expired || a.Content is null)
                    {
                        if (a.Content is null)
                        {
                            QueueLog.MissingContent(logger, a.MessageId);
                        }

                        metrics.Outcome("expired", a.Destination);
                        expiredRecipients.Add(r.Address);
                        if (r.Notify.Wants(DsnNotify.Failure))
                        {
                            failed.Add(dsn with { Status = ExpiredStatus(outcome.EnhancedStatus) });
                        }
                    }
                    else
                    {
                        metrics.Outcome("deferred", a.Destination);
                        retry.Add(r.ToEnvelope());
                        if (r.Notify.Wants(DsnNotify.Delay) && !record.DelayDsnSent && now - record.ReceivedAt >= o.DelayDsnAfter)
                        {
                            delayed.Add(dsn with { WillRetryUntil = record.ReceivedAt + o.MaxQueueLifetime });
                        }
                    }

                    break;
            }
        }

        DateTimeOffset dueAt = now + new RetrySchedule(o.EffectiveRetrySchedule).After(a.AttemptNumber);
        if (retry.Count > 0)
        {
            var next = new DeliveryRequested
            {
                MessageId = a.MessageId,
                AttemptId = NewId.NextGuid().ToString("N"),
                Destination = a.Destination,
                Sender = record.Sender,
                Recipients = retry,
                EnvelopeId = record.EnvelopeId,
                Return = record.Return,
                SmtpUtf8 = record.SmtpUtf8,
                Body = a.Content!.AsSpan().IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0 ? BodyType.EightBitMime : BodyType.SevenBit,
                AttemptNumber = a.AttemptNumber + 1,
                Content = a.Content!,
            };
            await dispatch.DelayAsync(context, next, dueAt, now).ConfigureAwait(false);
            QueueLog.Deferred(logger, a.MessageId, retry.Count, dueAt, a.AttemptNumber);
        }

        await dsns.PublishAsync(context, DsnKind.Failure, record, failed, a.Content).ConfigureAwait(false);
        await dsns.PublishAsync(context, DsnKind.Success, record, succeeded, a.Content).ConfigureAwait(false);
        await dsns.PublishAsync(context, DsnKind.Delay, record, delayed, a.Content).ConfigureAwait(false);

        // Expired before the attempt is recorded: the record is what marks this input as done, and an attempt
        // never changes a final state, so a crash anywhere here leaves nothing waiting for a retry that does not exist.
        if (expiredRecipients.Count > 0)
        {
            await store.SetStateAsync(a.MessageId, expiredRecipients, RecipientState.Expired, null, ct).ConfigureAwait(false);
            QueueLog.Expired(logger, a.MessageId, expiredRecipients.Count, o.MaxQueueLifetime);
        }

        await store.RecordAttemptAsync(a, ct).ConfigureAwait(false);
        if (retry.Count > 0)
        {
            await store.SetStateAsync(a.MessageId, retry.Select(r => r.Address).ToArray(), RecipientState.Deferred, dueAt, ct).ConfigureAwait(false);
        }

        if (delayed.Count > 0)
        {
            await store.MarkDelayDsnSentAsync(a.MessageId, ct).ConfigureAwait(false);
        }

        if (record.FlushRequested)
        {
            await store.ClearFlushAsync(a.MessageId, ct).ConfigureAwait(false);
        }
    }

    /// <summary>An expired recipient's DSN says failed; keep the last reply's detail but make it permanent-looking
    /// only through Action: the Status stays what the last attempt said, or 4.4.7 (delivery time expired).</summary>
    private static string ExpiredStatus(string lastStatus) => string.IsNullOrEmpty(lastStatus) ? "4.4.7" : lastStatus;
}

internal sealed class DeliveryAttemptedConsumerDefinition : ConsumerDefinition<DeliveryAttemptedConsumer>
{
    public DeliveryAttemptedConsumerDefinition() => EndpointName = PipelineQueues.DeliveryResults;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DeliveryAttemptedConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));
}
