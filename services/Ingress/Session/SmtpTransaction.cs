using EmailPipeline.Contracts;

namespace EmailPipeline.Ingress.Session;

/// <summary>The envelope of the transaction being built between MAIL and the end of the content.</summary>
internal sealed class SmtpTransaction
{
    public SmtpTransaction(string sender, string? envelopeId, DsnReturn ret, BodyType body, bool smtpUtf8, long? declaredSize)
    {
        Sender = sender;
        EnvelopeId = envelopeId;
        Return = ret;
        Body = body;
        SmtpUtf8 = smtpUtf8;
        DeclaredSize = declaredSize;
    }

    public string Sender { get; }

    public string? EnvelopeId { get; }

    public DsnReturn Return { get; }

    public BodyType Body { get; }

    public bool SmtpUtf8 { get; }

    public long? DeclaredSize { get; }

    public List<EnvelopeRecipient> Recipients { get; } = [];

    /// <summary>RCPT commands given, accepted or not: DATA after only refused ones gets 554, not 503.</summary>
    public int RecipientsAttempted { get; set; }

    public Envelope ToEnvelope() => new(Sender, Recipients.ToArray(), EnvelopeId, Return, Body, SmtpUtf8, DeclaredSize);
}
