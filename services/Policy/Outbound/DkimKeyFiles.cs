using System.Text.RegularExpressions;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;

namespace EmailPipeline.Policy.Outbound;

/// <summary>
/// Reads the configured private keys. Used by the start-up validation (which reports every problem at once) and
/// by <see cref="DkimKeyRing"/>. A problem names the file and what is wrong with it, never the file's content.
/// </summary>
internal static partial class DkimKeyFiles
{
    private const string DomainKeyLabel = "._domainkey.";
    private const string EncryptedKey = "holds an encrypted key; store it unencrypted (protect the file or Secret instead).";

    /// <summary>The fields MimeKit's signer refuses to sign (RFC 6376 §5.4: they change in transit).</summary>
    internal static readonly string[] UnsignableHeaders =
        ["Return-Path", "Received", "Comments", "Keywords", "Bcc", "Resent-Bcc", "DKIM-Signature"];

    public static (List<DkimSigningKey> Keys, List<string> Problems) Load(DkimSigningOptions options)
    {
        var keys = new List<DkimSigningKey>();
        var problems = new List<string>();

        if (!string.IsNullOrWhiteSpace(options.KeyDirectory))
        {
            LoadDirectory(options.KeyDirectory, options, keys, problems);
        }

        for (int i = 0; i < options.Keys.Count; i++)
        {
            DkimKeyOptions entry = options.Keys[i];
            string where = $"{DkimSigningOptions.Section}:Keys:{i}";
            if (string.IsNullOrWhiteSpace(entry.KeyFile))
            {
                problems.Add($"{where}:KeyFile is required.");
                continue;
            }

            LoadOne(entry.Domain, entry.Selector, entry.KeyFile, where, options, keys, problems);
        }

        // One key per algorithm and domain: two RSA keys for example.com would leave the choice to chance.
        foreach (var clash in keys.GroupBy(k => (k.Domain, k.Algorithm)).Where(g => g.Count() > 1))
        {
            problems.Add($"{DkimSigningOptions.Section}: {clash.Count()} {clash.First().AlgorithmName} keys for {clash.Key.Domain} " +
                         $"({string.Join(", ", clash.Select(k => k.File))}); keep one key per algorithm and domain.");
        }

        return (keys, problems);
    }

    private static void LoadDirectory(string directory, DkimSigningOptions options, List<DkimSigningKey> keys, List<string> problems)
    {
        string where = $"{DkimSigningOptions.Section}:KeyDirectory";
        if (!Directory.Exists(directory))
        {
            problems.Add($"{where} '{directory}' does not exist.");
            return;
        }

        IEnumerable<string> files;
        try
        {
            files = Directory.EnumerateFiles(directory, "*.pem").Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{where} '{directory}' cannot be listed: {ex.Message}");
            return;
        }

        foreach (string file in files)
        {
            string name = Path.GetFileName(file);
            if (name.StartsWith("..", StringComparison.Ordinal))
            {
                continue; // Kubernetes' bookkeeping in a mounted Secret
            }

            string stem = name[..^".pem".Length];
            int at = stem.IndexOf(DomainKeyLabel, StringComparison.OrdinalIgnoreCase);
            if (at <= 0 || at + DomainKeyLabel.Length >= stem.Length)
            {
                problems.Add($"{where}: '{name}' is not named <selector>._domainkey.<domain>.pem.");
                continue;
            }

            LoadOne(stem[(at + DomainKeyLabel.Length)..], stem[..at], file, where, options, keys, problems);
        }
    }

    private static void LoadOne(string domain, string selector, string file, string where, DkimSigningOptions options,
        List<DkimSigningKey> keys, List<string> problems)
    {
        string? asciiDomain = SenderDomain.Normalize(domain);
        if (asciiDomain is null || !DomainPattern().IsMatch(asciiDomain))
        {
            problems.Add($"{where}: the domain '{domain}' of '{file}' is not a domain name.");
            return;
        }

        if (!DomainPattern().IsMatch(selector))
        {
            problems.Add($"{where}: the selector '{selector}' of '{file}' is not a valid selector (letters, digits, hyphens, dot-separated).");
            return;
        }

        if (!System.IO.File.Exists(file))
        {
            problems.Add($"{where}: the key file '{file}' does not exist.");
            return;
        }

        string text;
        try
        {
            text = System.IO.File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{where}: the key file '{file}' cannot be read: {ex.GetType().Name}.");
            return;
        }

        AsymmetricKeyParameter? key = ReadPrivateKey(text, out string? problem);
        if (key is null)
        {
            problems.Add($"{where}: the key file '{file}' {problem}");
            return;
        }

        switch (key)
        {
            case RsaKeyParameters rsa:
                int bits = rsa.Modulus.BitLength;
                if (bits < options.MinimumRsaKeyBits)
                {
                    problems.Add($"{where}: the RSA key in '{file}' has {bits} bits; at least {options.MinimumRsaKeyBits} are required " +
                                 $"({DkimSigningOptions.Section}:MinimumRsaKeyBits).");
                    return;
                }

                keys.Add(new DkimSigningKey(asciiDomain, selector.ToLowerInvariant(), DkimSignatureAlgorithm.RsaSha256, bits, key, file));
                break;
            case Ed25519PrivateKeyParameters:
                keys.Add(new DkimSigningKey(asciiDomain, selector.ToLowerInvariant(), DkimSignatureAlgorithm.Ed25519Sha256, 256, key, file));
                break;
            default:
                problems.Add($"{where}: the key in '{file}' is neither RSA nor Ed25519 (DKIM signs with rsa-sha256 or ed25519-sha256 only).");
                break;
        }
    }

    /// <summary>The first private key in a PEM text; the problem is a fixed phrase, never parser output that
    /// might quote the file.</summary>
    private static AsymmetricKeyParameter? ReadPrivateKey(string pem, out string? problem)
    {
        // PKCS#8 "ENCRYPTED PRIVATE KEY" and OpenSSL's legacy "Proc-Type: 4,ENCRYPTED" need a password we never hold.
        if (pem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal) || pem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            problem = EncryptedKey;
            return null;
        }

        try
        {
            using var reader = new PemReader(new StringReader(pem));
            object? item;
            while ((item = reader.ReadObject()) is not null)
            {
                AsymmetricKeyParameter? key = item switch
                {
                    AsymmetricCipherKeyPair pair => pair.Private,
                    AsymmetricKeyParameter { IsPrivate: true } single => single,
                    _ => null,
                };
                if (key is not null)
                {
                    problem = null;
                    return key;
                }
            }

            problem = "holds no private key (expected \"BEGIN PRIVATE KEY\" or \"BEGIN RSA PRIVATE KEY\").";
            return null;
        }
        catch (PasswordException)
        {
            problem = EncryptedKey;
            return null;
        }
        catch (Exception ex) when (ex is IOException or FormatException or ArgumentException or InvalidCastException or InvalidOperationException)
        {
            problem = "is not a readable PEM private key.";
            return null;
        }
    }

    // RFC 6376 §3.1: a selector is dot-separated sub-domain labels; a domain the same, with at least one dot.
    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DomainPattern();
}
