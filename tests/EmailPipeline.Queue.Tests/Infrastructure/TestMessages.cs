using EmailPipeline.Contracts;

namespace EmailPipeline.Queue.Tests.Infrastructure;

internal static class TestMessages
{
    public static readonly DateTimeOffset Epoch = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static MessageAccepted Accepted(string sender, DateTimeOffset receivedAt, params string[] recipients) => Accepted(QueueId.New(receivedAt), sender, receivedAt, recipients);

    public static MessageAccepted Accepted(string id, string sender, DateTimeOffset receivedAt, params string[] recipients) => new()
    {
        MessageId = id,
        Envelope = new Envelope(
            sender,
            [.. recipients.Select(r => new EnvelopeRecipient(r, DsnNotify.Failure | DsnNotify.Delay, "rfc822;" + r))],
            "env-" + id,
            DsnReturn.Headers,
            BodyType.EightBitMime,
            SmtpUtf8: false,
            DeclaredSize: null),
        Session = new SessionFacts("192.0.2.1", 40000, "client.example", "mx", "mx", null, null, null, null),
        ReceivedAt = receivedAt,
        Content = "Subject: test\r\n\r\nbody\r\n"u8.ToArray(),
    };

    public static DeliveryAttempted Attempt(string messageId, string attemptId, int number, DateTimeOffset at, params RecipientOutcome[] outcomes) => new()
    {
        MessageId = messageId,
        AttemptId = attemptId,
        Destination = outcomes[0].Recipient[(outcomes[0].Recipient.IndexOf('@') + 1)..],
        AttemptNumber = number,
        AttemptedAt = at,
        Outcomes = outcomes,
    };

    public static RecipientOutcome Delivered(string rcpt) => new(rcpt, DeliveryOutcome.Delivered, 250, "2.0.0", "250 2.0.0 Ok: queued", "mx.example.org");

    public static RecipientOutcome Deferred(string rcpt) => new(rcpt, DeliveryOutcome.Deferred, 451, "4.7.1", "451 4.7.1 Greylisted", "mx.example.org");

    public static RecipientOutcome Bounced(string rcpt) => new(rcpt, DeliveryOutcome.Bounced, 550, "5.1.1", "550 5.1.1 No such user", "mx.example.org");
}
