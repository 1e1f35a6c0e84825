namespace EmailPipeline.Cli;

/// <summary>What scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The message or queue named does not exist.</summary>
    public const int NotFound = 1;

    /// <summary>The command line was wrong; nothing was done.</summary>
    public const int Usage = 2;

    /// <summary>The store or the broker could not be reached or refused the operation.</summary>
    public const int Unavailable = 3;
}
