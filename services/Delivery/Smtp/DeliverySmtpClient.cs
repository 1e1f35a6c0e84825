using EmailPipeline.Contracts;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace EmailPipeline.Delivery.Smtp;

/// <summary>
/// MailKit's client, told to pass the envelope through as it came in: ENVID/RET/NOTIFY from the request
/// (sent only when the peer offers DSN; ORCPT is MailKit's own choice, the RCPT address, since its
/// GetOriginalRecipientAddress is not overridable in MailKit 4.18), the message unprepared (no re-encoding, so the bytes go out as they
/// were accepted and DKIM signatures keep verifying; the one exception, the 8BITMIME downgrade, is done by
/// SmtpDelivery before sending), and recipient refusals collected per recipient instead
/// of aborting the transaction. One client may carry several transactions in turn (connection reuse):
/// <see cref="Begin"/> binds it to the next request.
/// </summary>
public sealed class DeliverySmtpClient : SmtpClient
{
    private readonly Dictionary<MailboxAddress, EnvelopeRecipient> _recipients = new(ReferenceEqualityComparer.Instance);
    private DeliveryRequested _request;

    public DeliverySmtpClient(DeliveryRequested request)
    {
        _request = request;
        Begin(request);
    }

    /// <summary>Binds the client to the next transaction: its envelope parameters and fresh per-recipient results.</summary>
    public void Begin(DeliveryRequested request)
    {
        _request = request;
        _recipients.Clear();
        Refused.Clear();
        Accepted.Clear();
        DeliveryStatusNotificationType = request.Return switch
        {
            DsnReturn.Full => DeliveryStatusNotificationType.Full,
            DsnReturn.Headers => DeliveryStatusNotificationType.HeadersOnly,
            _ => DeliveryStatusNotificationType.Unspecified,
        };
    }

    public Dictionary<MailboxAddress, SmtpResponse> Refused { get; } = new(ReferenceEqualityComparer.Instance);

    public HashSet<MailboxAddress> Accepted { get; } = new(ReferenceEqualityComparer.Instance);

    public MailboxAddress Map(EnvelopeRecipient recipient)
    {
        var mailbox = new MailboxAddress("", recipient.Address);
        _recipients[mailbox] = recipient;
        return mailbox;
    }

    protected override string? GetEnvelopeId(MimeMessage message) => _request.EnvelopeId;

    protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox)
    {
        if (!_recipients.TryGetValue(mailbox, out EnvelopeRecipient? recipient) || recipient.Notify == DsnNotify.Default)
        {
            return null;
        }

        if (recipient.Notify.HasFlag(DsnNotify.Never))
        {
            return DeliveryStatusNotification.Never;
        }

        DeliveryStatusNotification notify = 0;
        notify |= recipient.Notify.HasFlag(DsnNotify.Success) ? DeliveryStatusNotification.Success : 0;
        notify |= recipient.Notify.HasFlag(DsnNotify.Failure) ? DeliveryStatusNotification.Failure : 0;
        notify |= recipient.Notify.HasFlag(DsnNotify.Delay) ? DeliveryStatusNotification.Delay : 0;
        return notify;
    }

    protected override void Prepare(FormatOptions options, MimeMessage message, EncodingConstraint constraint, int maxLineLength)
    {
        // Deliberately nothing: re-encoding would change the accepted bytes (and break DKIM).
    }

    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) => Accepted.Add(mailbox);

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) => Refused[mailbox] = response;

    protected override void OnNoRecipientsAccepted(MimeMessage message) => throw new AllRecipientsRefusedException();
}
