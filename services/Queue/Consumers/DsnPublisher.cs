using EmailPipeline.Contracts;
using EmailPipeline.Queue.Configuration;
using EmailPipeline.Queue.Dsn;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Queue.Consumers;

/// <summary>
/// Sends a DSN: builds it and publishes it as a new accepted message from the null sender, so it is queued,
/// retried and delivered like any other mail (and can itself never cause a DSN).
/// </summary>
internal sealed class DsnPublisher(IOptions<QueueOptions> options, QueueMetrics metrics, ILogger<DsnPublisher> logger)
{
    public async Task PublishAsync(ConsumeContext context, DsnKind kind, MessageRecord message, IReadOnlyList<DsnRecipient> recipients, byte[]? original)
    {
        if (recipients.Count == 0 || message.Sender.Length == 0)
        {
            return; // Never a DSN about a DSN (null sender, RFC 3461 §6.2).
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        var report = new DsnReport(kind, options.Value.HostName, message.Sender, message.EnvelopeId, message.Return, message.ReceivedAt, message.MessageId, recipients);
        byte[] content = DeliveryStatusNotification.Build(report, original, options.Value.MaxReturnedSize, now);
        string id = QueueId.New(now);
        var dsn = new MessageAccepted
        {
            MessageId = id,
            Envelope = new Envelope("", [new EnvelopeRecipient(message.Sender, DsnNotify.Never, null)], null, DsnReturn.Unspecified, BodyType.EightBitMime, message.SmtpUtf8, content.Length),
            Session = new SessionFacts("127.0.0.1", 0, options.Value.HostName, "queue", "internal", null, null, null, null),
            ReceivedAt = now,
            Content = content,
        };
        await context.Publish(dsn, c => c.Mandatory = true, context.CancellationToken).ConfigureAwait(false);
        metrics.DsnSent(kind);
        QueueLog.DsnSent(logger, kind.ToString(), message.MessageId, id, recipients.Count);
    }
}
