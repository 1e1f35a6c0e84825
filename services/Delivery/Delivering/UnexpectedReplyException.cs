namespace EmailPipeline.Delivery.Delivering;

/// <summary>A well-formed reply of a class that does not belong where it came (250 to DATA, 354 to the final dot):
/// the peer and we are out of step, and the session cannot go on.</summary>
public sealed class UnexpectedReplyException : IOException
{
    public UnexpectedReplyException()
        : base("unexpected reply")
    {
    }

    public UnexpectedReplyException(string message)
        : base(message)
    {
    }

    public UnexpectedReplyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
