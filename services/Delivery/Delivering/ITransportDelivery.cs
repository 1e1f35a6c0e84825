using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Routing;

namespace EmailPipeline.Delivery.Delivering;

/// <summary>One way of delivering (SMTP, LMTP, Maildir). Returns exactly one outcome per recipient, in order;
/// transport trouble is an outcome, not an exception. Only cancellation escapes.</summary>
public interface ITransportDelivery
{
    Task<IReadOnlyList<RecipientOutcome>> DeliverAsync(DeliveryRequested request, DeliveryRoute route, CancellationToken cancellationToken);
}
