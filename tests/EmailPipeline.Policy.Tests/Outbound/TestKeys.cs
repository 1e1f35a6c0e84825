using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace EmailPipeline.Policy.Tests.Outbound;

/// <summary>One private key as its PEM file text and the DKIM DNS record (RFC 6376 §3.6.1) of its public half.</summary>
internal sealed record TestKey(string Pem, string DnsRecord)
{
    /// <summary>The base64 lines of the PEM body: what must never reach a log.</summary>
    public IEnumerable<string> SecretLines => Pem.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 20 && !l.StartsWith("-----", StringComparison.Ordinal));
}

/// <summary>Keys made once per test run (an RSA-2048 key takes a moment).</summary>
internal static class TestKeys
{
    private static readonly Lazy<TestKey> Rsa2048Key = new(() => Rsa(2048, pkcs8: false));
    private static readonly Lazy<TestKey> OtherRsa2048Key = new(() => Rsa(2048, pkcs8: true));
    private static readonly Lazy<TestKey> Rsa1024Key = new(() => Rsa(1024, pkcs8: false));
    private static readonly Lazy<TestKey> Ed25519Key = new(Ed25519);

    /// <summary>PKCS#1 ("BEGIN RSA PRIVATE KEY"), as opendkim-genkey writes it.</summary>
    public static TestKey Rsa2048 => Rsa2048Key.Value;

    /// <summary>PKCS#8 ("BEGIN PRIVATE KEY"), as openssl genpkey writes it.</summary>
    public static TestKey OtherRsa2048 => OtherRsa2048Key.Value;

    public static TestKey Rsa1024 => Rsa1024Key.Value;

    public static TestKey Ed25519Sha256 => Ed25519Key.Value;

    private static TestKey Rsa(int bits, bool pkcs8)
    {
        using var rsa = RSA.Create(bits);
        string pem = pkcs8 ? rsa.ExportPkcs8PrivateKeyPem() : rsa.ExportRSAPrivateKeyPem();
        return new TestKey(pem + "\n", $"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}");
    }

    private static TestKey Ed25519()
    {
        var key = new Ed25519PrivateKeyParameters(new SecureRandom());
        byte[] pkcs8 = PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetEncoded();
        string pem = PemEncoding.WriteString("PRIVATE KEY", pkcs8);
        // RFC 8463 §4.2: p= is the raw 32-byte public key, not a SubjectPublicKeyInfo.
        return new TestKey(pem + "\n", $"v=DKIM1; k=ed25519; p={Convert.ToBase64String(key.GeneratePublicKey().GetEncoded())}");
    }
}
