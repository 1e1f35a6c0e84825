using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>SMTP AUTH (RFC 4954) for the submission listeners. Bound from "Ingress:Authentication".</summary>
public sealed class AuthenticationOptions : IValidatableObject
{
    public const string Section = "Ingress:Authentication";
    private const string HashCommand = "dotnet run --project services/Ingress -- hash-password";

    public IList<SmtpUserOptions> Users { get; } = [];

    public OAuthOptions OAuth { get; } = new();

    /// <summary>Offer AUTH on connections without TLS. Only for tests and trusted loopback set-ups.</summary>
    public bool AllowPlaintextAuthentication { get; set; }

    /// <summary>Failed AUTH attempts within <see cref="FailureWindow"/> after which a client IP is refused.</summary>
    [Range(1, 10_000, ErrorMessage = "Ingress:Authentication:MaxFailuresPerClient must be between 1 and 10000.")]
    public int MaxFailuresPerClient { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Ingress:Authentication:FailureWindow must be between 00:00:01 and 7.00:00:00.")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Client IPs (IPv6 by /64) remembered by the failure tracker; the least recently failing are forgotten first.</summary>
    [Range(16, 10_000_000, ErrorMessage = "Ingress:Authentication:MaxTrackedClients must be between 16 and 10000000.")]
    public int MaxTrackedClients { get; set; } = 100_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < Users.Count; i++)
        {
            SmtpUserOptions user = Users[i];
            string path = $"{Section}:Users[{i}]";
            if (string.IsNullOrWhiteSpace(user.Name))
            {
                yield return Error($"{path}:Name is required.", nameof(Users));
            }
            else if (!names.Add(user.Name))
            {
                yield return Error($"{path}:Name '{user.Name}' is listed twice (names are case-insensitive).", nameof(Users));
            }

            if (user.PasswordHash is not null)
            {
                if (!PasswordHash.TryParse(user.PasswordHash, out PasswordHash? hash))
                {
                    yield return Error($"{path}:PasswordHash is not a {PasswordHash.Prefix} hash; make one with `{HashCommand}`.", nameof(Users));
                }
                else if (hash.Iterations < PasswordHash.MinimumConfiguredIterations)
                {
                    yield return Error($"{path}:PasswordHash uses {hash.Iterations} PBKDF2 iterations, fewer than {PasswordHash.MinimumConfiguredIterations}; make a new one with `{HashCommand}`.", nameof(Users));
                }
            }

            if (user.CramMd5Secret is not null && !CramMd5Secret.TryParse(user.CramMd5Secret, out _))
            {
                yield return Error($"{path}:CramMd5Secret is not {CramMd5Secret.DovecotPrefix} and 64 hex digits; make one with `{HashCommand}`.", nameof(Users));
            }

            if (user.PasswordHash is null && user.CramMd5Secret is null && OAuth.Issuers.Count == 0)
            {
                yield return Error($"{path} has no PasswordHash or CramMd5Secret and no OAuth issuer is configured, so it can never log in.", nameof(Users));
            }

            for (int s = 0; s < user.Senders.Count; s++)
            {
                if (!SenderAuthorization.IsValidPattern(user.Senders[s]))
                {
                    yield return Error($"{path}:Senders[{s}] '{user.Senders[s]}' is not an address, @domain, * or <>.", nameof(Users));
                }
            }
        }

        var issuers = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < OAuth.Issuers.Count; i++)
        {
            OAuthIssuerOptions issuer = OAuth.Issuers[i];
            string path = $"{Section}:OAuth:Issuers[{i}]";
            if (string.IsNullOrWhiteSpace(issuer.Issuer))
            {
                yield return Error($"{path}:Issuer is required (the exact iss value of its tokens).", nameof(OAuth));
            }
            else if (!issuers.Add(issuer.Issuer))
            {
                yield return Error($"{path}:Issuer '{issuer.Issuer}' is listed twice; put all its keys and audiences in one entry.", nameof(OAuth));
            }

            if (issuer.Audiences.Count == 0 || issuer.Audiences.Any(string.IsNullOrWhiteSpace))
            {
                yield return Error($"{path}:Audiences needs at least one non-empty audience.", nameof(OAuth));
            }

            if (issuer.SigningKeys.Count == 0)
            {
                yield return Error($"{path}:SigningKeys needs at least one PEM public key or base64: secret.", nameof(OAuth));
            }

            for (int k = 0; k < issuer.SigningKeys.Count; k++)
            {
                if (!SigningKeyText.TryParse(issuer.SigningKeys[k], out _, out string? problem))
                {
                    yield return Error($"{path}:SigningKeys[{k}] {problem}.", nameof(OAuth));
                }
            }

            if (string.IsNullOrWhiteSpace(issuer.UserClaim))
            {
                yield return Error($"{path}:UserClaim is required (e.g. email or sub).", nameof(OAuth));
            }

            if (issuer.ClockSkew < TimeSpan.Zero || issuer.ClockSkew > TimeSpan.FromMinutes(30))
            {
                yield return Error($"{path}:ClockSkew must be between 00:00:00 and 00:30:00.", nameof(OAuth));
            }
        }
    }

    private static ValidationResult Error(string message, string member) => new(message, [member]);
}
