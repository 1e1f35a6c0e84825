using System.Text.Json;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.State;

namespace EmailPipeline.Queue.Lifecycle;

/// <summary>Whether an outbox row's work is still some recipient's live work (see <see cref="RecipientLifecycle"/>).</summary>
public static class OutboxWork
{
    public static bool IsLive(OutboxRow row, MessageRecord record)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(record);
        (string attemptId, RecipientState state) = row.Kind switch
        {
            OutboxKind.Deliver => (JsonSerializer.Deserialize<DeliveryRequested>(row.Payload, OutboxComposer.Json)!.AttemptId, RecipientState.Queued),
            OutboxKind.Delay => (JsonSerializer.Deserialize<DeliveryRetryDue>(row.Payload, OutboxComposer.Json)!.Request.AttemptId, RecipientState.Deferred),
            _ => ("", RecipientState.Queued),
        };
        return row.Kind == OutboxKind.Notify || record.Recipients.Any(r => r.State == state && r.WorkId == attemptId);
    }
}
