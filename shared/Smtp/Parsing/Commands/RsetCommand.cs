namespace EmailPipeline.Smtp.Parsing;

/// <summary>RSET. Carries no data, so one instance serves every session.</summary>
public sealed record RsetCommand : SmtpCommand
{
    public static readonly RsetCommand Instance = new();

    private RsetCommand()
    {
    }
}
