namespace EmailPipeline.Smtp.Parsing;

/// <summary>NOOP; any argument is ignored (RFC 5321 §4.1.1.9). Carries no data, so one instance serves every session.</summary>
public sealed record NoopCommand : SmtpCommand
{
    public static readonly NoopCommand Instance = new();

    private NoopCommand()
    {
    }
}
