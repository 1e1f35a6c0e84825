using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EmailPipeline.Ingress.Tests.Authentication;

/// <summary>Signs JWTs the way an identity provider would, with knobs for each way a token can be wrong.</summary>
internal static class TestTokens
{
    public static SigningCredentials Rsa { get; } = new(new RsaSecurityKey(TestAccounts.RsaKey), SecurityAlgorithms.RsaSha256);

    public static SigningCredentials Ec { get; } = new(new ECDsaSecurityKey(TestAccounts.EcKey), SecurityAlgorithms.EcdsaSha256);

    public static SigningCredentials Hmac { get; } = new(new SymmetricSecurityKey(TestAccounts.HmacSecret), SecurityAlgorithms.HmacSha256);

    public static SigningCredentials Untrusted { get; } = new(new RsaSecurityKey(RSA.Create(2048)), SecurityAlgorithms.RsaSha256);

    public static string Create(
        string email = "carol@example.com",
        SigningCredentials? credentials = null,
        string issuer = TestAccounts.Issuer,
        string audience = TestAccounts.Audience,
        TimeSpan? expiresIn = null,
        Dictionary<string, object>? claims = null)
    {
        DateTime now = DateTime.UtcNow;
        DateTime expires = now + (expiresIn ?? TimeSpan.FromMinutes(10));
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expires.AddHours(-1),
            NotBefore = expires.AddHours(-1),
            Expires = expires,
            SigningCredentials = credentials ?? Rsa,
            Claims = claims ?? new Dictionary<string, object> { ["email"] = email, ["sub"] = "opaque-id-42" },
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    public static string CreateUnsigned(string email = "carol@example.com")
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = TestAccounts.Issuer,
            Audience = TestAccounts.Audience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["email"] = email },
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
