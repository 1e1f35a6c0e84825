namespace EmailPipeline.Ingress.Authentication;

/// <summary>One token issuer trusted for XOAUTH2 and OAUTHBEARER.</summary>
public sealed class OAuthIssuerOptions
{
    /// <summary>The exact <c>iss</c> value in its tokens.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>Accepted <c>aud</c> values; a token must name at least one.</summary>
    public IList<string> Audiences { get; } = [];

    /// <summary>PEM public keys (RSA or EC) or <c>base64:</c> HMAC secrets (at least 32 bytes). See <see cref="SigningKeyText"/>.</summary>
    public IList<string> SigningKeys { get; } = [];

    /// <summary>
    /// The claim naming the mail user. Defaults to <c>email</c>; there is deliberately no fallback to <c>sub</c>
    /// (often an opaque id that could collide with a user name): set <c>sub</c> here if that is what you mean.
    /// </summary>
    public string UserClaim { get; set; } = "email";

    /// <summary>Tolerance for <c>exp</c>/<c>nbf</c> between our clock and the issuer's.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);
}
