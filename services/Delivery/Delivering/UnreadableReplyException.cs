namespace EmailPipeline.Delivery.Delivering;

/// <summary>A peer's reply that is not "ddd text" (or a line past the length limit): the session cannot go on.</summary>
public sealed class UnreadableReplyException : IOException
{
    public UnreadableReplyException()
        : base("unreadable reply")
    {
    }

    public UnreadableReplyException(string message)
        : base(message)
    {
    }

    public UnreadableReplyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
