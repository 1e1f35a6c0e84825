using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace EmailPipeline.Policy.Outbound;

/// <summary>A private key ready to sign for one domain and selector. <see cref="ToString"/> names the key, never
/// its material, so a key that reaches a log line by accident shows only where it came from.</summary>
public sealed class DkimSigningKey
{
    internal DkimSigningKey(string domain, string selector, DkimSignatureAlgorithm algorithm, int bits, AsymmetricKeyParameter privateKey, string file)
    {
        Domain = domain;
        Selector = selector;
        Algorithm = algorithm;
        Bits = bits;
        PrivateKey = privateKey;
        File = file;
    }

    /// <summary>The d= domain, lower case, ASCII (A-labels).</summary>
    public string Domain { get; }

    public string Selector { get; }

    public DkimSignatureAlgorithm Algorithm { get; }

    /// <summary>The key size: the RSA modulus length, 256 for Ed25519.</summary>
    public int Bits { get; }

    /// <summary>Where the key was read from.</summary>
    public string File { get; }

    internal AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>The a= name: rsa-sha256 or ed25519-sha256.</summary>
    public string AlgorithmName => Algorithm == DkimSignatureAlgorithm.Ed25519Sha256 ? "ed25519-sha256" : "rsa-sha256";

    public override string ToString() => $"{Selector}._domainkey.{Domain} ({AlgorithmName}, {Bits} bits, {File})";
}
