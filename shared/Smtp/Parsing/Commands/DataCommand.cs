namespace EmailPipeline.Smtp.Parsing;

/// <summary>DATA. Carries no data, so one instance serves every session.</summary>
public sealed record DataCommand : SmtpCommand
{
    public static readonly DataCommand Instance = new();

    private DataCommand()
    {
    }
}
