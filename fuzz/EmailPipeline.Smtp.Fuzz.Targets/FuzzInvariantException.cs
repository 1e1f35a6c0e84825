namespace EmailPipeline.Smtp.Fuzz;

/// <summary>
/// A property of the code under test did not hold for one input. It escapes the target on purpose:
/// an uncaught exception is the crash that AFL and libFuzzer record, and the test that replays it fails.
/// </summary>
public sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException()
    {
    }

    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    public FuzzInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(message);
        }
    }
}
