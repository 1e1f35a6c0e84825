using EmailPipeline.Contracts;
using EmailPipeline.Queue.Scheduling;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Telemetry;
using MassTransit;

namespace EmailPipeline.Queue.Consumers;

/// <summary>Sends work out: a DeliveryRequested per destination now, or a DeliveryRetryDue into the delay queues.</summary>
internal sealed class DeliveryDispatch(DelayLadder ladder, DestinationShaping shaping, IQueueStore store, QueueMetrics metrics)
{
    /// <summary>
    /// One DeliveryRequested per destination domain, carrying only that domain's recipients. A destination
    /// over its shaping limits waits one delay step instead (its recipients become Deferred). Returns the
    /// recipients actually handed to delivery. <paramref name="markDispatched"/> records a group's dispatch
    /// (Deferred → Queued) while the destination is still locked, so the next decision counts it in flight.
    /// </summary>
    public async Task<IReadOnlyList<string>> DispatchAsync(
        ConsumeContext context, DeliveryRequested template, IReadOnlyList<EnvelopeRecipient> recipients, Func<string[], Task>? markDispatched = null)
    {
        var dispatched = new List<string>();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach (var group in recipients.GroupBy(r => EnvelopeRecipients.DomainOf(r.Address)))
        {
            DeliveryRequested request = template with
            {
                AttemptId = NewId.NextGuid().ToString("N"),
                Destination = group.Key,
                Recipients = group.ToArray(),
            };
            string[] addresses = group.Select(r => r.Address).ToArray();
            await using IAsyncDisposable? decision = await shaping.EnterAsync(group.First().Domain, context.CancellationToken).ConfigureAwait(false);
            if (await shaping.MustWaitAsync(group.First().Domain, template.MessageId, context.CancellationToken).ConfigureAwait(false))
            {
                DateTimeOffset dueAt = now + ladder.Precision;
                await DelayAsync(context, request, dueAt, now).ConfigureAwait(false);
                await store.SetStateAsync(template.MessageId, addresses, RecipientState.Deferred, dueAt, context.CancellationToken).ConfigureAwait(false);
                metrics.Shaped(group.Key);
                continue;
            }

            // Mandatory: the delivery queue is declared at start-up, so a return means something is badly wrong
            // and the input must not be acknowledged.
            await context.Publish(request, c => c.Mandatory = true, context.CancellationToken).ConfigureAwait(false);
            if (markDispatched is not null)
            {
                await markDispatched(addresses).ConfigureAwait(false);
            }

            metrics.Dispatched(group.Key, addresses.Length);
            dispatched.AddRange(addresses);
        }

        return dispatched;
    }

    /// <summary>Puts a retry on its next hop through the delay queues towards <paramref name="dueAt"/>.</summary>
    public async Task DelayAsync(ConsumeContext context, DeliveryRequested request, DateTimeOffset dueAt, DateTimeOffset now)
    {
        TimeSpan remaining = dueAt - now;
        TimeSpan hop = ladder.NextHop(remaining <= TimeSpan.Zero ? ladder.Precision : remaining);
        ISendEndpoint endpoint = await context.GetSendEndpoint(new Uri($"exchange:{DelayLadder.QueueName(hop)}")).ConfigureAwait(false);
        await endpoint.Send(new DeliveryRetryDue(request, dueAt), context.CancellationToken).ConfigureAwait(false);
    }
}
