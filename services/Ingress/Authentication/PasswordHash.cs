using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// A PBKDF2-HMAC-SHA256 password hash in the form <c>$pbkdf2-sha256$&lt;iterations&gt;$&lt;base64 salt&gt;$&lt;base64 hash&gt;</c>.
/// The password is hashed as its UTF-8 bytes, without SASLprep or Unicode normalisation: what the client sends
/// in PLAIN/LOGIN must be byte-for-byte what the operator hashed.
/// </summary>
public sealed class PasswordHash
{
    public const string Prefix = "$pbkdf2-sha256$";
    public const int DefaultIterations = 210_000;
    public const int SaltSize = 16;
    public const int HashSize = 32;

    /// <summary>The least cost accepted in configuration (OWASP's 2023 floor for PBKDF2-SHA256 is 600000).</summary>
    public const int MinimumConfiguredIterations = 100_000;

    // Beyond this a configured hash is a denial of service on ourselves rather than extra safety.
    private const int MaxIterations = 100_000_000;

    private readonly byte[] _salt;
    private readonly byte[] _hash;

    private PasswordHash(int iterations, byte[] salt, byte[] hash)
    {
        Iterations = iterations;
        _salt = salt;
        _hash = hash;
    }

    public int Iterations { get; }

    public static PasswordHash Create(ReadOnlySpan<byte> password, int iterations = DefaultIterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        byte[] salt = RandomNumberGenerator.GetBytes(SaltSize);
        byte[] hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashSize);
        return new PasswordHash(iterations, salt, hash);
    }

    public static PasswordHash Create(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        byte[] bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return Create(bytes, iterations);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// A hash no password matches, for verifying unknown users: the same PBKDF2 cost as a real one, so the
    /// time taken does not tell a client whether the user exists.
    /// </summary>
    public static PasswordHash Decoy(int iterations) =>
        new(Math.Clamp(iterations, 1, MaxIterations), RandomNumberGenerator.GetBytes(SaltSize), RandomNumberGenerator.GetBytes(HashSize));

    public static bool TryParse(string? text, [NotNullWhen(true)] out PasswordHash? hash)
    {
        hash = null;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        string[] parts = text[Prefix.Length..].Split('$');
        if (parts.Length != 3
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int iterations)
            || iterations is < 1 or > MaxIterations)
        {
            return false;
        }

        try
        {
            byte[] salt = Convert.FromBase64String(parts[1]);
            byte[] derived = Convert.FromBase64String(parts[2]);
            if (salt.Length < 8 || derived.Length < 16)
            {
                return false;
            }

            hash = new PasswordHash(iterations, salt, derived);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Recomputes the hash for <paramref name="password"/> and compares in constant time.</summary>
    public bool Verify(ReadOnlySpan<byte> password)
    {
        byte[] candidate = Rfc2898DeriveBytes.Pbkdf2(password, _salt, Iterations, HashAlgorithmName.SHA256, _hash.Length);
        try
        {
            return CryptographicOperations.FixedTimeEquals(candidate, _hash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(candidate);
        }
    }

    public string Format() =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Iterations}${Convert.ToBase64String(_salt)}${Convert.ToBase64String(_hash)}");
}
