using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// A CRAM-MD5 verifier stored the way Dovecot's <c>CRAM-MD5</c> scheme does: the HMAC-MD5 states after the
/// <c>key XOR opad</c> and <c>key XOR ipad</c> blocks, as 64 hex digits (outer state first, little-endian words),
/// optionally prefixed with <c>{CRAM-MD5}</c>. It is not the password, but it is password-equivalent for
/// CRAM-MD5 itself (anyone holding it can answer a challenge), so treat it as a secret and never log it.
/// </summary>
public sealed class CramMd5Secret
{
    public const string DovecotPrefix = "{CRAM-MD5}";
    private const int HexLength = Md5ChainingState.HashSize * 2 * 2;

    private readonly Md5ChainingState _inner;
    private readonly Md5ChainingState _outer;

    private CramMd5Secret(Md5ChainingState inner, Md5ChainingState outer)
    {
        _inner = inner;
        _outer = outer;
    }

    /// <summary>Derives the secret from a password (its UTF-8 bytes are the HMAC key, as in Dovecot).</summary>
    public static CramMd5Secret FromPassword(ReadOnlySpan<byte> password)
    {
        Span<byte> key = stackalloc byte[Md5ChainingState.BlockSize];
        key.Clear();
        if (password.Length > Md5ChainingState.BlockSize)
        {
            // RFC 2104: keys longer than the block are hashed first.
            MD5.HashData(password, key);
        }
        else
        {
            password.CopyTo(key);
        }

        Span<byte> pad = stackalloc byte[Md5ChainingState.BlockSize];
        for (int i = 0; i < pad.Length; i++)
        {
            pad[i] = (byte)(key[i] ^ 0x36);
        }

        Md5ChainingState inner = Md5ChainingState.Initial.Absorb(pad);
        for (int i = 0; i < pad.Length; i++)
        {
            pad[i] = (byte)(key[i] ^ 0x5c);
        }

        Md5ChainingState outer = Md5ChainingState.Initial.Absorb(pad);
        CryptographicOperations.ZeroMemory(key);
        CryptographicOperations.ZeroMemory(pad);
        return new CramMd5Secret(inner, outer);
    }

    public static CramMd5Secret FromPassword(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        byte[] bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return FromPassword(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out CramMd5Secret? secret)
    {
        secret = null;
        if (text is null)
        {
            return false;
        }

        ReadOnlySpan<char> hex = text.AsSpan().Trim();
        if (hex.StartsWith(DovecotPrefix, StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[DovecotPrefix.Length..];
        }

        if (hex.Length != HexLength)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[HexLength / 2];
        if (Convert.FromHexString(hex, bytes, out _, out int written) != System.Buffers.OperationStatus.Done || written != bytes.Length)
        {
            return false;
        }

        secret = new CramMd5Secret(
            inner: Md5ChainingState.ReadFrom(bytes[Md5ChainingState.HashSize..]),
            outer: Md5ChainingState.ReadFrom(bytes));
        return true;
    }

    /// <summary>The stored form: <c>{CRAM-MD5}</c> and 64 lowercase hex digits, accepted by Dovecot too.</summary>
    public string Format()
    {
        Span<byte> bytes = stackalloc byte[HexLength / 2];
        _outer.WriteTo(bytes);
        _inner.WriteTo(bytes[Md5ChainingState.HashSize..]);
        return DovecotPrefix + Convert.ToHexStringLower(bytes);
    }

    /// <summary>HMAC-MD5(password, <paramref name="challenge"/>) computed from the stored states.</summary>
    public void ComputeDigest(ReadOnlySpan<byte> challenge, Span<byte> digest)
    {
        Span<byte> innerHash = stackalloc byte[Md5ChainingState.HashSize];
        _inner.Finish(Md5ChainingState.BlockSize, challenge, innerHash);
        _outer.Finish(Md5ChainingState.BlockSize, innerHash, digest);
    }
}
