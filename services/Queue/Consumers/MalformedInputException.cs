using EmailPipeline.Contracts;

namespace EmailPipeline.Queue.Consumers;

/// <summary>
/// An input that can never be processed (a field the contract requires is missing): retrying cannot help, so it
/// goes straight to the endpoint's error queue, where the operator's deadletters commands show it.
/// </summary>
public sealed class MalformedInputException(string message) : Exception(message)
{
    public static MessageAccepted Check(MessageAccepted m) =>
        m.MessageId is { Length: > 0 } && m.Envelope?.Recipients is not null && m.Content is not null
            ? m
            : throw new MalformedInputException("MessageAccepted without a message id, an envelope with recipients, or content");

    public static DeliveryAttempted Check(DeliveryAttempted a) =>
        a.MessageId is { Length: > 0 } && a.AttemptId is { Length: > 0 } && a.Outcomes is not null && a.Outcomes.All(o => o?.Recipient is not null)
            ? a
            : throw new MalformedInputException("DeliveryAttempted without a message id, an attempt id, or outcomes");

    public static DeliveryRetryDue Check(DeliveryRetryDue r) =>
        r.Request is { MessageId.Length: > 0, AttemptId.Length: > 0, Recipients: not null, Content: not null }
            ? r
            : throw new MalformedInputException("DeliveryRetryDue without a complete request (message id, attempt id, recipients, content)");
}
