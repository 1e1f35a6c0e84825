using System.Security.Cryptography;
using EmailPipeline.Ingress.Authentication;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Tests.Authentication;

/// <summary>Accounts, issuers and keys shared by the authentication tests. Low PBKDF2 cost keeps tests fast.</summary>
internal static class TestAccounts
{
    public const string Issuer = "https://issuer.example.com";
    public const string OtherIssuer = "https://other.example.com";
    public const string Audience = "smtp.example.com";
    public const string AlicePassword = "correct horse battery staple";
    public const string BobPassword = "tr0ub4dor&3";
    public const int Iterations = 1_000;

    public static readonly RSA RsaKey = RSA.Create(2048);
    public static readonly ECDsa EcKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public static readonly byte[] HmacSecret = RandomNumberGenerator.GetBytes(32);
    public static readonly RSA OtherIssuerKey = RSA.Create(2048);

    // alice: password + CRAM-MD5; bob: password only; carol: token only.
    public static IReadOnlyList<SmtpUser> Users { get; } =
    [
        new("alice@example.com", PasswordHash.Create(AlicePassword, Iterations), CramMd5Secret.FromPassword(AlicePassword), ["alice@example.com"]),
        new("bob@example.com", PasswordHash.Create(BobPassword, Iterations), null, ["@example.com"]),
        new("carol@example.com", null, null, ["*"]),
    ];

    public static AuthenticationOptions Options(bool withIssuers = true)
    {
        var options = new AuthenticationOptions();
        if (withIssuers)
        {
            var issuer = new OAuthIssuerOptions { Issuer = Issuer };
            issuer.Audiences.Add(Audience);
            issuer.SigningKeys.Add(RsaKey.ExportSubjectPublicKeyInfoPem());
            issuer.SigningKeys.Add(EcKey.ExportSubjectPublicKeyInfoPem());
            issuer.SigningKeys.Add("base64:" + Convert.ToBase64String(HmacSecret));
            options.OAuth.Issuers.Add(issuer);

            var other = new OAuthIssuerOptions { Issuer = OtherIssuer, UserClaim = "sub" };
            other.Audiences.Add(Audience);
            other.SigningKeys.Add(OtherIssuerKey.ExportSubjectPublicKeyInfoPem());
            options.OAuth.Issuers.Add(other);
        }

        return options;
    }

    public static UserDirectory Directory(IEnumerable<SmtpUser>? users = null) => new(users ?? Users);

    public static SaslAuthenticator Authenticator(UserDirectory? directory = null, bool withIssuers = true, TimeProvider? time = null) =>
        new(
            directory ?? Directory(),
            new BearerTokenValidator(Microsoft.Extensions.Options.Options.Create(Options(withIssuers))),
            time ?? TimeProvider.System,
            NullLogger<SaslAuthenticator>.Instance);

    public static async Task<SaslStep> StepAsync(this ISaslExchange exchange, byte[]? response) =>
        await exchange.StepAsync(response is null ? (ReadOnlyMemory<byte>?)null : response, TestContext.Current.CancellationToken);

    public static ISaslExchange Begin(this SaslAuthenticator authenticator, string mechanism) =>
        authenticator.Begin(mechanism, "mail.example.com") ?? throw new InvalidOperationException($"{mechanism} is not offered");
}
