using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// Validates the JWT bearer tokens of XOAUTH2 and OAUTHBEARER against the configured issuers. The token's
/// <c>iss</c> picks the issuer entry, and only that entry's keys and audiences apply, so one issuer's key can
/// never vouch for another issuer's tokens. Tokens must be signed, unexpired and carry <c>exp</c>.
/// </summary>
public sealed class BearerTokenValidator
{
    // Asymmetric and HMAC algorithms only; "none" and anything unlisted is refused.
    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
        SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha384, SecurityAlgorithms.HmacSha512,
    ];

    // Tokens are a few KiB at most; refuse absurd ones before parsing.
    private const int MaxTokenLength = 16 * 1024;

    private readonly JsonWebTokenHandler _handler = new();
    private readonly Dictionary<string, (TokenValidationParameters Parameters, string UserClaim)> _issuers = new(StringComparer.Ordinal);

    public BearerTokenValidator(IOptions<AuthenticationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (OAuthIssuerOptions issuer in options.Value.OAuth.Issuers)
        {
            var keys = new List<SecurityKey>();
            foreach (string text in issuer.SigningKeys)
            {
                if (SigningKeyText.TryParse(text, out SecurityKey? key, out _))
                {
                    keys.Add(key);
                }
            }

            if (string.IsNullOrWhiteSpace(issuer.Issuer) || keys.Count == 0)
            {
                continue;
            }

            var parameters = new TokenValidationParameters
            {
                ValidIssuer = issuer.Issuer,
                ValidateIssuer = true,
                ValidAudiences = [.. issuer.Audiences],
                ValidateAudience = true,
                IssuerSigningKeys = keys,
                ValidateIssuerSigningKey = true,
                RequireSignedTokens = true,
                ValidAlgorithms = Algorithms,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                ClockSkew = issuer.ClockSkew,
                NameClaimType = issuer.UserClaim,
            };
            _issuers[issuer.Issuer] = (parameters, issuer.UserClaim);
        }
    }

    public bool HasIssuers => _issuers.Count > 0;

    /// <summary>The token's user (from the issuer's <c>UserClaim</c>) when the token is valid.</summary>
    public async ValueTask<BearerTokenResult> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        cancellationToken.ThrowIfCancellationRequested();
        if (token.Length == 0 || token.Length > MaxTokenLength || !_handler.CanReadToken(token))
        {
            return BearerTokenResult.Invalid("malformed token");
        }

        string issuer;
        try
        {
            issuer = _handler.ReadJsonWebToken(token).Issuer;
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException)
        {
            return BearerTokenResult.Invalid("malformed token");
        }

        if (!_issuers.TryGetValue(issuer, out var entry))
        {
            return BearerTokenResult.Invalid("unknown issuer");
        }

        TokenValidationResult result = await _handler.ValidateTokenAsync(token, entry.Parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            // The exception type says why (expired, bad signature, audience) without echoing token content.
            return BearerTokenResult.Invalid(result.Exception?.GetType().Name ?? "invalid token");
        }

        string? user = result.ClaimsIdentity?.FindFirst(entry.UserClaim)?.Value;
        return string.IsNullOrWhiteSpace(user)
            ? BearerTokenResult.Invalid($"no {entry.UserClaim} claim")
            : BearerTokenResult.Valid(user);
    }
}
