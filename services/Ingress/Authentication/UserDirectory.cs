using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// The configured accounts, looked up by name case-insensitively. Credential checks cost the same whether or
/// not the user exists (a decoy hash or secret stands in), so response timing does not reveal valid names.
/// </summary>
public sealed class UserDirectory
{
    private readonly Dictionary<string, SmtpUser> _users = new(StringComparer.OrdinalIgnoreCase);
    private readonly PasswordHash _decoyHash;
    private readonly CramMd5Secret _decoyCramMd5Secret;

    public UserDirectory(IOptions<AuthenticationOptions> options)
        : this(Read(options))
    {
    }

    public UserDirectory(IEnumerable<SmtpUser> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        foreach (SmtpUser user in users)
        {
            _users[user.Name] = user;
        }

        int iterations = _users.Values
            .Select(user => user.PasswordHash?.Iterations ?? 0)
            .DefaultIfEmpty(0)
            .Max();
        _decoyHash = PasswordHash.Decoy(iterations > 0 ? iterations : PasswordHash.DefaultIterations);
        _decoyCramMd5Secret = CramMd5Secret.FromPassword(RandomNumberGenerator.GetBytes(32));
        HasPasswords = _users.Values.Any(user => user.PasswordHash is not null);
        HasCramMd5Secrets = _users.Values.Any(user => user.CramMd5Secret is not null);
    }

    public bool HasPasswords { get; }

    public bool HasCramMd5Secrets { get; }

    public SmtpUser? Find(string userName)
    {
        ArgumentNullException.ThrowIfNull(userName);
        return _users.GetValueOrDefault(userName);
    }

    /// <summary>The user if <paramref name="password"/> (UTF-8) matches its hash; otherwise null, in about the same time.</summary>
    public SmtpUser? VerifyPassword(string userName, ReadOnlySpan<byte> password)
    {
        SmtpUser? user = Find(userName);
        PasswordHash hash = user?.PasswordHash ?? _decoyHash;
        bool matches = hash.Verify(password);
        return matches && user?.PasswordHash is not null ? user : null;
    }

    /// <summary>The user if <paramref name="digest"/> is HMAC-MD5(password, <paramref name="challenge"/>); otherwise null.</summary>
    public SmtpUser? VerifyCramMd5(string userName, ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> digest)
    {
        SmtpUser? user = Find(userName);
        CramMd5Secret secret = user?.CramMd5Secret ?? _decoyCramMd5Secret;
        Span<byte> expected = stackalloc byte[Md5ChainingState.HashSize];
        secret.ComputeDigest(challenge, expected);
        bool matches = CryptographicOperations.FixedTimeEquals(expected, digest);
        return matches && user?.CramMd5Secret is not null ? user : null;
    }

    private static IEnumerable<SmtpUser> Read(IOptions<AuthenticationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // Options were validated at start-up; entries that still fail to parse simply cannot log in that way.
        foreach (SmtpUserOptions user in options.Value.Users)
        {
            if (string.IsNullOrWhiteSpace(user.Name))
            {
                continue;
            }

            PasswordHash.TryParse(user.PasswordHash, out PasswordHash? hash);
            CramMd5Secret.TryParse(user.CramMd5Secret, out CramMd5Secret? secret);
            yield return new SmtpUser(user.Name.Trim(), hash, secret, [.. user.Senders.Select(sender => sender.Trim())]);
        }
    }
}
