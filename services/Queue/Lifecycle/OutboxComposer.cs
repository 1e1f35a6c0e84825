using System.Text.Json;
using System.Text.Json.Serialization;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.Configuration;
using EmailPipeline.Queue.Dsn;
using EmailPipeline.Queue.State;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Queue.Lifecycle;

/// <summary>
/// Turns a decision's outputs into outbox rows: the DeliveryRequested and DeliveryRetryDue messages without their
/// body (filled in from the input at dispatch), and each DSN built whole, so it goes out byte for byte the same
/// however often its row is dispatched.
/// </summary>
public sealed class OutboxComposer(IOptions<QueueOptions> options)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public IReadOnlyList<OutboxRow> Compose(LifecycleDecision decision, MessageRecord? record, LifecycleInput input, byte[]? content, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(input);
        if (decision.Outputs.Count == 0)
        {
            return [];
        }

        var rows = new List<OutboxRow>(decision.Outputs.Count);
        foreach (LifecycleOutput output in decision.Outputs)
        {
            string id = NewId.NextGuid().ToString("N");
            switch (output)
            {
                case LifecycleOutput.Deliver d:
                    rows.Add(new OutboxRow(id, input.MessageId, OutboxKind.Deliver, "", true,
                        JsonSerializer.Serialize(Template(record, input, content) with
                        {
                            AttemptId = d.AttemptId, Destination = d.Destination, Recipients = d.Recipients, AttemptNumber = d.AttemptNumber,
                        }, Json), now));
                    break;
                case LifecycleOutput.Delay d:
                    DeliveryRequested next = Template(record, input, content) with
                    {
                        AttemptId = d.AttemptId, Destination = d.Destination, Recipients = d.Recipients, AttemptNumber = d.AttemptNumber,
                    };
                    rows.Add(new OutboxRow(id, input.MessageId, OutboxKind.Delay, Scheduling.DelayLadder.QueueName(d.Hop), true,
                        JsonSerializer.Serialize(new DeliveryRetryDue(next, d.DueAt), Json), now));
                    break;
                case LifecycleOutput.Notify n:
                    MessageRecord about = record ?? throw new InvalidOperationException("a DSN needs the message's record");
                    rows.Add(new OutboxRow(id, input.MessageId, OutboxKind.Notify, "", false, JsonSerializer.Serialize(Dsn(n, about, content, now), Json), now));
                    break;
            }
        }

        return rows;
    }

    /// <summary>The envelope of the work, from the input where it travels and from the record otherwise; no body.</summary>
    private static DeliveryRequested Template(MessageRecord? record, LifecycleInput input, byte[]? content) => input switch
    {
        LifecycleInput.Accepted { Message: var m } => new DeliveryRequested
        {
            MessageId = m.MessageId, AttemptId = "", Destination = "", Sender = m.Envelope.Sender, Recipients = [], EnvelopeId = m.Envelope.EnvelopeId,
            Return = m.Envelope.Return, Body = m.Envelope.Body, SmtpUtf8 = m.Envelope.SmtpUtf8, Content = [], TraceParent = m.TraceParent,
        },
        LifecycleInput.RetryDue { Retry: var r } => r.Request with { Content = [] },
        _ when record is not null => new DeliveryRequested
        {
            MessageId = record.MessageId, AttemptId = "", Destination = "", Sender = record.Sender, Recipients = [], EnvelopeId = record.EnvelopeId,
            Return = record.Return, SmtpUtf8 = record.SmtpUtf8, Content = [],
            Body = content is not null && content.AsSpan().IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0 ? BodyType.EightBitMime : BodyType.SevenBit,
        },
        _ => throw new InvalidOperationException("work for a message without its record"),
    };

    /// <summary>A DSN is a new accepted message from the null sender, queued and delivered like any other mail.</summary>
    private MessageAccepted Dsn(LifecycleOutput.Notify notice, MessageRecord message, byte[]? original, DateTimeOffset now)
    {
        QueueOptions o = options.Value;
        var report = new DsnReport(notice.Kind, o.HostName, message.Sender, message.EnvelopeId, message.Return, message.ReceivedAt, message.MessageId, notice.Recipients);
        byte[] bytes = DeliveryStatusNotification.Build(report, original, o.MaxReturnedSize, now);
        return new MessageAccepted
        {
            MessageId = QueueId.New(now),
            Envelope = new Envelope("", [new EnvelopeRecipient(message.Sender, DsnNotify.Never, null)], null, DsnReturn.Unspecified, BodyType.EightBitMime, message.SmtpUtf8, bytes.Length),
            Session = new SessionFacts("127.0.0.1", 0, o.HostName, "queue", "internal", null, null, null, null),
            ReceivedAt = now,
            Content = bytes,
        };
    }
}
