using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// Reads a configured token signing key: a PEM public key (<c>PUBLIC KEY</c> for RSA or EC,
/// <c>RSA PUBLIC KEY</c> for PKCS#1) or <c>base64:</c> followed by an HMAC secret of at least 32 bytes (HS256).
/// Private keys are refused: the ingress only verifies, so a private key in its configuration is a leak.
/// </summary>
public static class SigningKeyText
{
    public const string SymmetricPrefix = "base64:";
    public const int MinimumSymmetricKeySize = 32;

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    public static bool TryParse(string? text, [NotNullWhen(true)] out SecurityKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty";
            return false;
        }

        text = text.Trim();
        if (text.StartsWith(SymmetricPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return TryParseSymmetric(text[SymmetricPrefix.Length..], out key, out error);
        }

        if (!PemEncoding.TryFind(text, out PemFields fields))
        {
            error = "is neither a PEM public key nor a base64: symmetric secret";
            return false;
        }

        string label = text[fields.Label];
        byte[] der;
        try
        {
            der = Convert.FromBase64String(text[fields.Base64Data]);
        }
        catch (FormatException)
        {
            error = "has broken PEM base64";
            return false;
        }

        try
        {
            switch (label)
            {
                case "RSA PUBLIC KEY":
                    var pkcs1 = RSA.Create();
                    pkcs1.ImportRSAPublicKey(der, out _);
                    key = new RsaSecurityKey(pkcs1);
                    break;
                case "PUBLIC KEY":
                    key = FromSubjectPublicKeyInfo(der);
                    break;
                default:
                    error = $"is a PEM '{label}', not a public key (PUBLIC KEY or RSA PUBLIC KEY)";
                    return false;
            }
        }
        catch (CryptographicException)
        {
            key = null;
        }

        if (key is null)
        {
            error = "is not a readable RSA or EC public key";
            return false;
        }

        error = null;
        return true;
    }

    private static SecurityKey? FromSubjectPublicKeyInfo(byte[] der)
    {
        string? algorithm = PublicKey.CreateFromSubjectPublicKeyInfo(der, out _).Oid.Value;
        switch (algorithm)
        {
            case RsaOid:
                var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(der, out _);
                return new RsaSecurityKey(rsa);
            case EcOid:
                var ec = ECDsa.Create();
                ec.ImportSubjectPublicKeyInfo(der, out _);
                return new ECDsaSecurityKey(ec);
            default:
                return null;
        }
    }

    private static bool TryParseSymmetric(string base64, [NotNullWhen(true)] out SecurityKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            error = "has a base64: prefix but the rest is not base64";
            return false;
        }

        if (secret.Length < MinimumSymmetricKeySize)
        {
            error = $"is a symmetric secret of {secret.Length} bytes; HS256 needs at least {MinimumSymmetricKeySize}";
            return false;
        }

        key = new SymmetricSecurityKey(secret);
        error = null;
        return true;
    }
}
