namespace EmailPipeline.Smtp.Parsing;

/// <summary>STARTTLS (RFC 3207). Carries no data, so one instance serves every session.</summary>
public sealed record StartTlsCommand : SmtpCommand
{
    public static readonly StartTlsCommand Instance = new();

    private StartTlsCommand()
    {
    }
}
