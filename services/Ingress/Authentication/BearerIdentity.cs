namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// The rule shared by XOAUTH2 and OAUTHBEARER: the token must be valid, the user it names must equal the
/// user asserted in the SASL message (case-insensitively; OAUTHBEARER may omit it), and that user must be in
/// the <see cref="UserDirectory"/>. The last rule is deliberate: a token proves who the client is, but only
/// the directory says which senders that user may use, so a valid token for an unknown user is refused.
/// </summary>
internal static class BearerIdentity
{
    public static async ValueTask<(SmtpUser? User, string Reason)> ResolveAsync(
        BearerTokenValidator tokens,
        UserDirectory users,
        string? assertedUser,
        string token,
        CancellationToken cancellationToken)
    {
        BearerTokenResult result = await tokens.ValidateAsync(token, cancellationToken).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, $"token rejected ({result.Failure})");
        }

        if (assertedUser is not null && !string.Equals(assertedUser, result.UserName, StringComparison.OrdinalIgnoreCase))
        {
            return (null, "token user differs from the asserted user");
        }

        SmtpUser? user = users.Find(result.UserName!);
        return user is null ? (null, "token user is not in the user directory") : (user, "");
    }

    /// <summary>Splits <c>Bearer &lt;token&gt;</c>; the scheme is case-insensitive (RFC 6750 §2.1).</summary>
    public static string? TokenFromAuthValue(string value)
    {
        const string Scheme = "Bearer ";
        if (!value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string token = value[Scheme.Length..].Trim();
        return token.Length == 0 ? null : token;
    }
}
