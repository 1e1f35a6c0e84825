namespace EmailPipeline.Policy.Dkim;

/// <summary>
/// Thrown by <see cref="DnsDkimPublicKeyLocator"/> to MimeKit's verifier when a selector has no usable key; the
/// verifier lets it through and <see cref="DkimChecker"/> turns it back into the result it carries.
/// </summary>
public sealed class DkimKeyUnavailableException : Exception
{
    public DkimKeyUnavailableException()
    {
    }

    public DkimKeyUnavailableException(string message)
        : base(message)
    {
    }

    public DkimKeyUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DkimKeyUnavailableException(DkimResult result, string reason)
        : base(reason) => Result = result;

    public DkimResult Result { get; } = DkimResult.PermError;
}
