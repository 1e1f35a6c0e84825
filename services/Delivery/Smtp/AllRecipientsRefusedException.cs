namespace EmailPipeline.Delivery.Smtp;

/// <summary>Every RCPT was refused; MailKit then skips DATA. Each refusal is in <see cref="DeliverySmtpClient.Refused"/>.</summary>
public sealed class AllRecipientsRefusedException : Exception
{
    public AllRecipientsRefusedException()
        : base("No recipient was accepted")
    {
    }

    public AllRecipientsRefusedException(string message)
        : base(message)
    {
    }

    public AllRecipientsRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
