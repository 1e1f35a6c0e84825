namespace EmailPipeline.Smtp.Parsing;

/// <summary>QUIT. Carries no data, so one instance serves every session.</summary>
public sealed record QuitCommand : SmtpCommand
{
    public static readonly QuitCommand Instance = new();

    private QuitCommand()
    {
    }
}
