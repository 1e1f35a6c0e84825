namespace EmailPipeline.Delivery.Delivering;

/// <summary>A connection-level failure of one host; counted by that host's circuit breaker.</summary>
public sealed class HostUnavailableException : Exception
{
    public HostUnavailableException()
        : this(new HostFailure("", 0, "4.4.1", "host unavailable"))
    {
    }

    public HostUnavailableException(string message)
        : this(new HostFailure("", 0, "4.4.1", message))
    {
    }

    public HostUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Failure = new HostFailure("", 0, "4.4.1", message);
    }

    public HostUnavailableException(HostFailure failure, Exception? innerException = null)
        : base(failure.Diagnostic, innerException)
    {
        Failure = failure;
    }

    public HostFailure Failure { get; }
}
