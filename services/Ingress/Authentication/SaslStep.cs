namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// The outcome of one SASL step. <see cref="Challenge"/> holds the raw (not yet base64-encoded) bytes for a
/// <c>334</c> reply; <see cref="UserName"/> is the directory's spelling of the authenticated user.
/// </summary>
public readonly record struct SaslStep(SaslStepKind Kind, byte[]? Challenge, string? UserName)
{
    public static SaslStep Failure { get; } = new(SaslStepKind.Failed, null, null);

    public static SaslStep Continue(byte[] challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        return new SaslStep(SaslStepKind.Challenge, challenge, null);
    }

    public static SaslStep Success(string userName)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        return new SaslStep(SaslStepKind.Succeeded, null, userName);
    }
}
