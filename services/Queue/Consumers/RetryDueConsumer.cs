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
/// A deferred delivery surfaced from a delay queue. If it is due (or flushed) its still-deferred recipients
/// go to delivery; if not yet, it takes its next hop; held messages keep circling; operator bounces and
/// expiry end here with a DSN. Recipients that reached a final state meanwhile are dropped from it.
/// </summary>
internal sealed class RetryDueConsumer(
    IQueueStore store,
    DeliveryDispatch dispatch,
    DsnPublisher dsns,
    DelayLadder ladder,
    IOptions<QueueOptions> options,
    QueueMetrics metrics) : IConsumer<DeliveryRetryDue>
{
    public async Task Consume(ConsumeContext<DeliveryRetryDue> context)
    {
        DeliveryRequested request = context.Message.Request;
        CancellationToken ct = context.CancellationToken;
        MessageRecord? record = await store.GetAsync(request.MessageId, ct).ConfigureAwait(false);
        if (record is null)
        {
            return;
        }

        var deferred = record.Recipients.Where(r => r.State == RecipientState.Deferred).ToDictionary(r => r.Address, StringComparer.Ordinal);
        RecipientRecord[] waiting = request.Recipients.Where(r => deferred.ContainsKey(r.Address)).Select(r => deferred[r.Address]).ToArray();
        if (waiting.Length == 0)
        {
            return;
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        QueueOptions o = options.Value;
        bool expired = now - record.ReceivedAt >= o.MaxQueueLifetime;
        if (record.BounceRequested || expired)
        {
            string status = record.BounceRequested ? "5.0.0" : "4.4.7";
            string why = record.BounceRequested ? "Message bounced by the mail system administrator" : $"Delivery time expired after {o.MaxQueueLifetime}";
            var report = waiting
                .Where(r => r.Notify.Wants(DsnNotify.Failure))
                .Select(r => new DsnRecipient(r.Address, r.OriginalRecipient, r.LastEnhancedStatus is { Length: > 0 } s && !record.BounceRequested ? s : status,
                    r.LastRemoteHost, r.LastReplyCode ?? 0, r.LastDiagnostic is { Length: > 0 } d ? $"{why}; last reply: {d}" : why, r.UpdatedAt, null))
                .ToArray();
            await dsns.PublishAsync(context, DsnKind.Failure, record, report, request.Content).ConfigureAwait(false);
            var final = record.BounceRequested ? RecipientState.Bounced : RecipientState.Expired;
            await store.SetStateAsync(record.MessageId, waiting.Select(r => r.Address).ToArray(), final, null, ct).ConfigureAwait(false);
            foreach (RecipientRecord _ in waiting)
            {
                metrics.Outcome(final == RecipientState.Bounced ? "bounced" : "expired", request.Destination);
            }

            return;
        }

        DeliveryRequested next = request with { Recipients = waiting.Select(r => r.ToEnvelope()).ToArray() };
        if (record.Held)
        {
            // Held mail keeps its body in the broker by circling the longest delay until released.
            await dispatch.DelayAsync(context, next, now + ladder.Steps[^1], now).ConfigureAwait(false);
            return;
        }

        bool due = record.FlushRequested || context.Message.DueAt - now <= ladder.Precision / 2;
        if (!due)
        {
            await dispatch.DelayAsync(context, next, context.Message.DueAt, now).ConfigureAwait(false);
            return;
        }

        // Published first, state second: a crash in between repeats the attempt rather than losing it. The state
        // change is conditional, so an outcome that arrived in the meantime is never overwritten.
        await dispatch.DispatchAsync(context, next, next.Recipients,
            addresses => store.MarkRetryDispatchedAsync(record.MessageId, addresses, context.Message.DueAt, ct)).ConfigureAwait(false);
    }
}

internal sealed class RetryDueConsumerDefinition : ConsumerDefinition<RetryDueConsumer>
{
    public RetryDueConsumerDefinition() => EndpointName = PipelineQueues.RetryDue;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<RetryDueConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));
}
