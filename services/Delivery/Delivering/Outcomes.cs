using EmailPipeline.Contracts;

namespace EmailPipeline.Delivery.Delivering;

/// <summary>Outcomes we make ourselves, when no reply decided (no answer, broken connection, local errors).</summary>
public static class Outcomes
{
    public static RecipientOutcome Deferred(string recipient, string status, string diagnostic, string? remoteHost, int replyCode = 0) =>
        new(recipient, DeliveryOutcome.Deferred, replyCode, status, diagnostic, remoteHost);

    public static RecipientOutcome Bounced(string recipient, string status, string diagnostic, string? remoteHost, int replyCode = 0) =>
        new(recipient, DeliveryOutcome.Bounced, replyCode, status, diagnostic, remoteHost);

    public static RecipientOutcome Delivered(string recipient, string diagnostic, string? remoteHost, int replyCode = 250) =>
        new(recipient, DeliveryOutcome.Delivered, replyCode, "2.0.0", diagnostic, remoteHost);

    public static IReadOnlyList<RecipientOutcome> All(IEnumerable<EnvelopeRecipient> recipients, Func<string, RecipientOutcome> make) =>
        recipients.Select(r => make(r.Address)).ToList();
}
