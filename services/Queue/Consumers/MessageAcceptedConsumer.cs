using EmailPipeline.Contracts;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Telemetry;
using MassTransit;

namespace EmailPipeline.Queue.Consumers;

/// <summary>
/// Records a newly accepted message and sends one DeliveryRequested per destination. The input is
/// acknowledged only after the publishes are confirmed; a redelivered input (the Queue died half-way)
/// finds the message recorded and sends again what is still queued: at least once, never lost.
/// </summary>
internal sealed class MessageAcceptedConsumer(IQueueStore store, DeliveryDispatch dispatch, QueueMetrics metrics, ILogger<MessageAcceptedConsumer> logger)
    : IConsumer<MessageAccepted>
{
    public async Task Consume(ConsumeContext<MessageAccepted> context)
    {
        MessageAccepted m = context.Message;
        IReadOnlyList<EnvelopeRecipient> pending;
        if (await store.AddMessageAsync(m, context.CancellationToken).ConfigureAwait(false))
        {
            metrics.Recorded();
            QueueLog.Recorded(logger, m.MessageId, m.Envelope.IsNullSender ? "<>" : m.Envelope.Sender, m.Envelope.Recipients.Count);
            pending = m.Envelope.Recipients;
        }
        else
        {
            MessageRecord? record = await store.GetAsync(m.MessageId, context.CancellationToken).ConfigureAwait(false);
            pending = record?.Recipients.Where(r => r.State == RecipientState.Queued).Select(r => r.ToEnvelope()).ToArray() ?? [];
            QueueLog.Redelivered(logger, m.MessageId, pending.Count);
        }

        var template = new DeliveryRequested
        {
            MessageId = m.MessageId,
            AttemptId = "",
            Destination = "",
            Sender = m.Envelope.Sender,
            Recipients = [],
            EnvelopeId = m.Envelope.EnvelopeId,
            Return = m.Envelope.Return,
            Body = m.Envelope.Body,
            SmtpUtf8 = m.Envelope.SmtpUtf8,
            AttemptNumber = 1,
            Content = m.Content,
            TraceParent = m.TraceParent,
        };
        await dispatch.DispatchAsync(context, template, pending).ConfigureAwait(false);
    }
}

internal sealed class MessageAcceptedConsumerDefinition : ConsumerDefinition<MessageAcceptedConsumer>
{
    public MessageAcceptedConsumerDefinition() => EndpointName = PipelineQueues.Accepted;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<MessageAcceptedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Seconds-scale retries for a busy database or broker; then the _error queue (see the CLI's deadletters).
        endpointConfigurator.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));
    }
}
