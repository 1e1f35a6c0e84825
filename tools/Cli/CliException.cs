namespace EmailPipeline.Cli;

/// <summary>An expected failure: printed as one line, never as a stack trace.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    public static CliException NotFound(string message) => new(ExitCodes.NotFound, message);

    public static CliException Unavailable(string message) => new(ExitCodes.Unavailable, message);
}
