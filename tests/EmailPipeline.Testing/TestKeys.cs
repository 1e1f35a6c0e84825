using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace EmailPipeline.Testing;

/// <summary>DKIM keys made once per test run, their DNS records, and messages signed with them by MimeKit's signer.</summary>
public static class TestKeys
{
    private static readonly Lazy<AsymmetricCipherKeyPair> LazyRsa2048 = new(() => Rsa(2048));
    private static readonly Lazy<AsymmetricCipherKeyPair> LazyRsa512 = new(() => Rsa(512));
    private static readonly Lazy<AsymmetricCipherKeyPair> LazyEd25519 = new(() =>
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        return generator.GenerateKeyPair();
    });

    public static AsymmetricCipherKeyPair Rsa2048 => LazyRsa2048.Value;

    public static AsymmetricCipherKeyPair Rsa512 => LazyRsa512.Value;

    public static AsymmetricCipherKeyPair Ed25519 => LazyEd25519.Value;

    /// <summary>"v=DKIM1; k=…; p=…" for the pair's public key, with any extra tags.</summary>
    public static string Record(AsymmetricCipherKeyPair pair, string extra = "")
    {
        bool ed = pair.Public is Ed25519PublicKeyParameters;
        string p = ed
            ? Convert.ToBase64String(((Ed25519PublicKeyParameters)pair.Public).GetEncoded())
            : Convert.ToBase64String(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded());
        return $"v=DKIM1; k={(ed ? "ed25519" : "rsa")};{extra} p={p}";
    }

    public const string Body = "Hello,\r\n\r\nthis is a test message.\r\n";

    public static MimeMessage Message(string from = "alice@example.com", string subject = "Test")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("bob@example.test"));
        message.Subject = subject;
        message.Date = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        message.MessageId = "test-" + Guid.NewGuid().ToString("N") + "@example.com";
        message.Body = new TextPart("plain") { Text = Body };
        message.Prepare(EncodingConstraint.SevenBit);
        return message;
    }

    public static void Sign(MimeMessage message, AsymmetricCipherKeyPair pair, string domain, string selector,
        DkimSignatureAlgorithm? algorithm = null)
    {
        var signer = new DkimSigner(pair.Private, domain, selector,
            algorithm ?? (pair.Public is Ed25519PublicKeyParameters ? DkimSignatureAlgorithm.Ed25519Sha256 : DkimSignatureAlgorithm.RsaSha256))
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
    }

    public static byte[] Bytes(MimeMessage message)
    {
        using var stream = new MemoryStream();
        FormatOptions options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        message.WriteTo(options, stream);
        return stream.ToArray();
    }

    public static MimeMessage Parse(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        return MimeMessage.Load(stream);
    }

    private static AsymmetricCipherKeyPair Rsa(int bits)
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(new SecureRandom(), bits));
        return generator.GenerateKeyPair();
    }
}
