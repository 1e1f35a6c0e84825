using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace EmailPipeline.Policy.Dkim;

/// <summary>
/// A DKIM key record (RFC 6376 §3.6.1), parsed strictly: v= only first and only "DKIM1", k= rsa or ed25519 (RFC 8463),
/// h= and s= lists, t= flags, p= required. An empty p= is a revoked key (§3.6.1: "An empty value means that this public
/// key has been revoked"), which is a record, not a syntax error.
/// </summary>
public sealed record DkimKeyRecord
{
    public required string KeyType { get; init; }

    /// <summary>Hash algorithms the key may be used with (h=); empty means any.</summary>
    public required IReadOnlyList<string> HashAlgorithms { get; init; }

    /// <summary>Service types (s=): "*" or "email"; anything else means the key is not for mail.</summary>
    public required IReadOnlyList<string> ServiceTypes { get; init; }

    /// <summary>t=y: the domain is testing DKIM; verifiers must not treat messages differently (§3.6.1).</summary>
    public required bool Testing { get; init; }

    /// <summary>t=s: the i= domain must equal d= exactly, no subdomains.</summary>
    public required bool StrictIdentity { get; init; }

    /// <summary>Null when the key is revoked (empty p=).</summary>
    public AsymmetricKeyParameter? PublicKey { get; init; }

    public bool IsRevoked => PublicKey is null;

    public bool IsForEmail => ServiceTypes.Count == 0 || ServiceTypes.Any(s => s is "*" or "email");

    /// <summary>RSA modulus bits; 256 for ed25519.</summary>
    public int KeyBits => PublicKey switch
    {
        RsaKeyParameters rsa => rsa.Modulus.BitLength,
        Ed25519PublicKeyParameters => 256,
        _ => 0,
    };

    /// <summary>Parses the joined strings of one TXT record. Returns false with a reason on any syntax error.</summary>
    /// <summary>The largest RSA key accepted (RFC 8301 §3.2 asks verifiers for 1024 to 4096 bits; twice that leaves room).</summary>
    public const int MaxRsaKeyBits = 8192;

    public static bool TryParse(string text, out DkimKeyRecord? record, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        record = null;
        if (!TagList.TryParse(text, out List<KeyValuePair<string, string>>? tags, out error))
        {
            return false;
        }

        string keyType = "rsa";
        string[] hashes = [];
        string[] services = [];
        string[] flags = [];
        string? p = null;
        for (int i = 0; i < tags!.Count; i++)
        {
            (string name, string value) = (tags[i].Key, tags[i].Value);
            switch (name)
            {
                case "v":
                    if (i != 0 || value != "DKIM1")
                    {
                        error = "v= must be first and DKIM1";
                        return false;
                    }

                    break;
                case "k":
                    keyType = value.ToLowerInvariant();
                    if (keyType is not ("rsa" or "ed25519"))
                    {
                        error = $"unknown key type k={value}";
                        return false;
                    }

                    break;
                case "h":
                    hashes = SplitList(value, ':');
                    break;
                case "s":
                    services = SplitList(value, ':');
                    break;
                case "t":
                    flags = SplitList(value, ':');
                    break;
                case "p":
                    p = string.Concat(value.Where(c => !char.IsWhiteSpace(c)));
                    break;
                default:
                    // §3.6.1: unrecognized tags are ignored.
                    break;
            }
        }

        if (p is null)
        {
            error = "no p= tag";
            return false;
        }

        AsymmetricKeyParameter? key = null;
        if (p.Length > 0)
        {
            try
            {
                byte[] der = Convert.FromBase64String(p);
                if (keyType != "ed25519" && der.Length > (MaxRsaKeyBits / 8) + 64)
                {
                    // Checked before the key is built: BouncyCastle tests a modulus for primality, which for a modulus of
                    // a sender's choosing (a TXT record can hold tens of kilobytes) costs seconds of CPU per message.
                    error = $"p= is an RSA key larger than {MaxRsaKeyBits} bits";
                    return false;
                }

                key = keyType == "ed25519"
                    ? (der.Length == Ed25519PublicKeyParameters.KeySize ? new Ed25519PublicKeyParameters(der, 0) : null)
                    : PublicKeyFactory.CreateKey(der) as RsaKeyParameters;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidCastException or IOException
                                           or CryptographicException or Org.BouncyCastle.Asn1.Asn1Exception or SecurityUtilityException)
            {
                key = null;
            }

            if (key is null)
            {
                error = $"p= is not a valid {keyType} public key";
                return false;
            }

            if (key is RsaKeyParameters { Modulus.BitLength: > MaxRsaKeyBits })
            {
                error = $"p= is an RSA key larger than {MaxRsaKeyBits} bits";
                return false;
            }
        }

        record = new DkimKeyRecord
        {
            KeyType = keyType,
            HashAlgorithms = hashes,
            ServiceTypes = services,
            Testing = flags.Contains("y", StringComparer.OrdinalIgnoreCase),
            StrictIdentity = flags.Contains("s", StringComparer.OrdinalIgnoreCase),
            PublicKey = key,
        };
        return true;
    }

    private static string[] SplitList(string value, char separator) =>
        value.Split(separator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => s.ToLowerInvariant()).ToArray();
}
