namespace EmailPipeline.Ingress.Authentication;

/// <summary>The outcome of <see cref="BearerTokenValidator.ValidateAsync"/>; <see cref="Failure"/> is safe to log.</summary>
public readonly record struct BearerTokenResult(string? UserName, string? Failure)
{
    public bool IsValid => UserName is not null;

    public static BearerTokenResult Valid(string userName) => new(userName, null);

    public static BearerTokenResult Invalid(string failure) => new(null, failure);
}
