using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Delivering;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Routing;

namespace EmailPipeline.Delivery.Maildir;

/// <summary>
/// Final delivery into Maildir folders. As the final delivery agent it prepends Return-Path: (RFC 5321 §4.4)
/// and Delivered-To:; the message bytes follow unchanged. An unusable mailbox name bounces with 5.1.3; a
/// disk problem defers with 4.3.0 (the queue retries, nothing is half-written in new/).
/// </summary>
public sealed class MaildirDelivery(MaildirWriter writer, DeliveryJournal journal, ILogger<MaildirDelivery> logger) : ITransportDelivery
{
    public async Task<IReadOnlyList<RecipientOutcome>> DeliverAsync(DeliveryRequested request, DeliveryRoute route, CancellationToken cancellationToken)
    {
        string root = string.IsNullOrWhiteSpace(route.Rule?.Path) ? DeliveryOptions.DefaultMaildirRoot() : Path.GetFullPath(route.Rule.Path);
        var outcomes = new List<RecipientOutcome>(request.Recipients.Count);
        foreach (EnvelopeRecipient recipient in request.Recipients)
        {
            if (!MailboxPath.TryResolve(root, recipient.Address, out string mailbox, out string reason))
            {
                outcomes.Add(Outcomes.Bounced(recipient.Address, "5.1.3", $"550 5.1.3 Bad destination mailbox address: {reason}", "maildir", 550));
                continue;
            }

            byte[] prefix = Encoding.UTF8.GetBytes($"Return-Path: <{request.Sender}>\r\nDelivered-To: {recipient.Address}\r\n");
            try
            {
                string file = await writer.DeliverAsync(mailbox, prefix, request.Content, cancellationToken).ConfigureAwait(false);
                DeliveryLog.MaildirWritten(logger, request.MessageId, file);
                RecipientOutcome delivered = Outcomes.Delivered(recipient.Address, $"250 2.0.0 Delivered to {Path.GetFileName(file)}", "maildir");
                journal.Record(request.AttemptId, [delivered]);
                outcomes.Add(delivered);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                DeliveryLog.MaildirFailed(logger, request.MessageId, mailbox, ex.Message);
                outcomes.Add(Outcomes.Deferred(recipient.Address, "4.3.0", $"451 4.3.0 Local delivery failed: {ex.GetType().Name}", "maildir", 451));
            }
        }

        return outcomes;
    }
}
