using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Unicode;

namespace EmailPipeline.Smtp.Addresses;

/// <summary>
/// The domain part of an SMTP path (RFC 5321 §4.1.2, RFC 6531 §3.3): an LDH domain name, a
/// domain with UTF-8 U-labels (only where the caller permits UTF-8), or an IPv4 / IPv6 address
/// literal. General address literals (<c>[tag:content]</c>) are refused: no standardized tag is
/// deliverable by this MTA.
/// </summary>
/// <remarks>
/// Equality compares <see cref="Ascii"/>, so <c>Bücher.Example</c>, <c>xn--bcher-kva.example</c>
/// and <c>BÜCHER.example</c> are one domain. For address literals <see cref="Ascii"/> is the
/// canonical form (<c>[192.0.2.1]</c>, <c>[IPv6:2001:db8::1]</c>), so differently written forms
/// of the same address are equal too.
/// </remarks>
public sealed class SmtpDomain : IEquatable<SmtpDomain>
{
    /// <summary>RFC 5321 §4.5.3.1.2.</summary>
    public const int MaxLength = 255;

    /// <summary>RFC 1035 §2.3.4.</summary>
    public const int MaxLabelLength = 63;

    private SmtpDomain(string value, string ascii, IPAddress? address, bool isInternational)
    {
        Value = value;
        Ascii = ascii;
        Address = address;
        IsInternational = isInternational;
    }

    /// <summary>The domain as the client wrote it (U-labels kept, case kept).</summary>
    public string Value { get; }

    /// <summary>Lower-case, A-label form; the canonical form for address literals.</summary>
    public string Ascii { get; }

    public bool IsAddressLiteral => Address is not null;

    /// <summary>The address of an address literal; null for a domain name.</summary>
    public IPAddress? Address { get; }

    /// <summary>True when <see cref="Value"/> holds non-ASCII U-labels (needs SMTPUTF8 on the wire).</summary>
    public bool IsInternational { get; }

    public static bool TryParse(ReadOnlySpan<byte> utf8, bool allowUtf8, [NotNullWhen(true)] out SmtpDomain? domain)
    {
        domain = null;
        if (utf8.IsEmpty || utf8.Length > MaxLength * 4)
        {
            return false;
        }

        return utf8[0] == (byte)'['
            ? TryParseAddressLiteral(utf8, out domain)
            : TryParseName(utf8, allowUtf8, out domain);
    }

    /// <summary>Parses a domain held in a string (configuration, policy data).</summary>
    public static bool TryParse(string? text, bool allowUtf8, [NotNullWhen(true)] out SmtpDomain? domain)
    {
        domain = null;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength * 4)
        {
            return false;
        }

        return TryParse(Encoding.UTF8.GetBytes(text), allowUtf8, out domain);
    }

    /// <summary>
    /// True when this domain equals <paramref name="domain"/> or lies below it
    /// (<c>mx.example.com</c> is under <c>example.com</c>). Address literals only match themselves.
    /// </summary>
    public bool IsSameOrSubdomainOf(string domain)
    {
        if (!TryParse(domain, allowUtf8: true, out SmtpDomain? other))
        {
            return false;
        }

        if (IsAddressLiteral || other.IsAddressLiteral)
        {
            return Equals(other);
        }

        return Ascii.Length == other.Ascii.Length
            ? string.Equals(Ascii, other.Ascii, StringComparison.Ordinal)
            : Ascii.Length > other.Ascii.Length
                && Ascii[Ascii.Length - other.Ascii.Length - 1] == '.'
                && Ascii.EndsWith(other.Ascii, StringComparison.Ordinal);
    }

    public bool Equals(SmtpDomain? other) =>
        other is not null && string.Equals(Ascii, other.Ascii, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => Equals(obj as SmtpDomain);

    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Ascii);

    public static bool operator ==(SmtpDomain? left, SmtpDomain? right) =>
        left is null ? right is null : left.Equals(right);

    public static bool operator !=(SmtpDomain? left, SmtpDomain? right) => !(left == right);

    public override string ToString() => Value;

    private static bool TryParseAddressLiteral(ReadOnlySpan<byte> utf8, out SmtpDomain? domain)
    {
        domain = null;
        if (utf8.Length < 3 || utf8[^1] != (byte)']')
        {
            return false;
        }

        ReadOnlySpan<byte> content = utf8[1..^1];
        if (content.Length > 5 && System.Text.Ascii.EqualsIgnoreCase(content[..5], "IPv6:"u8))
        {
            ReadOnlySpan<byte> text = content[5..];
            // IPAddress accepts zone ids ("%eth0") and brackets, which RFC 5321 IPv6-addr does not.
            if (text.IsEmpty || text.IndexOfAnyExcept("0123456789abcdefABCDEF:."u8) >= 0
                || !IPAddress.TryParse(text, out IPAddress? v6)
                || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            domain = new SmtpDomain(
                Encoding.ASCII.GetString(utf8),
                "[IPv6:" + v6.ToString() + "]",
                v6,
                isInternational: false);
            return true;
        }

        if (!TryParseDottedQuad(content, out IPAddress? v4))
        {
            // Includes General-address-literal: a tag we do not support.
            return false;
        }

        string literal = Encoding.ASCII.GetString(utf8);
        domain = new SmtpDomain(literal, "[" + v4.ToString() + "]", v4, isInternational: false);
        return true;
    }

    /// <summary>
    /// RFC 5321 IPv4-address-literal: exactly four decimal octets. IPAddress.TryParse alone would also
    /// take "1", "0x7f.1" or "127.1", which are not literals an SMTP client may send.
    /// </summary>
    private static bool TryParseDottedQuad(ReadOnlySpan<byte> text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        Span<byte> octets = stackalloc byte[4];
        int part = 0;
        int value = 0;
        int digits = 0;
        foreach (byte b in text)
        {
            if (b == (byte)'.')
            {
                if (digits == 0 || part == 3)
                {
                    return false;
                }

                octets[part++] = (byte)value;
                value = 0;
                digits = 0;
            }
            else if (b is >= (byte)'0' and <= (byte)'9' && digits < 3)
            {
                value = (value * 10) + (b - '0');
                digits++;
                if (value > 255)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        if (digits == 0 || part != 3)
        {
            return false;
        }

        octets[3] = (byte)value;
        address = new IPAddress(octets);
        return true;
    }

    private static bool TryParseName(ReadOnlySpan<byte> utf8, bool allowUtf8, out SmtpDomain? domain)
    {
        domain = null;
        bool nonAscii = false;
        int labelStart = 0;
        for (int i = 0; i <= utf8.Length; i++)
        {
            if (i < utf8.Length && utf8[i] != (byte)'.')
            {
                byte b = utf8[i];
                if (b >= 0x80)
                {
                    nonAscii = true;
                }
                else if (!(char.IsAsciiLetterOrDigit((char)b) || b == (byte)'-'))
                {
                    return false;
                }

                continue;
            }

            ReadOnlySpan<byte> label = utf8[labelStart..i];
            // Empty labels cover a leading dot, a double dot and a trailing dot (RFC 5321 has no root dot).
            if (label.IsEmpty || label.Length > MaxLabelLength * 4
                || label[0] == (byte)'-' || label[^1] == (byte)'-')
            {
                return false;
            }

            labelStart = i + 1;
        }

        if (nonAscii && (!allowUtf8 || !Utf8.IsValid(utf8)))
        {
            return false;
        }

        string value = Encoding.UTF8.GetString(utf8);
        string ascii;
        if (nonAscii)
        {
            // GetAscii passes labels that are already "xn--" through unchecked, so the result is checked
            // too: the ASCII form that leaves the parser must itself be a name the parser accepts.
            if (!TryToAscii(value, out ascii) || (ascii.Contains("xn--", StringComparison.Ordinal) && !IsValidALabelName(ascii)))
            {
                return false;
            }
        }
        else
        {
            ascii = value.ToLowerInvariant();
            if (ascii.Contains("xn--", StringComparison.Ordinal) && !IsValidALabelName(ascii))
            {
                return false;
            }
        }

        if (ascii.Length > MaxLength || !LabelsFit(ascii))
        {
            return false;
        }

        domain = new SmtpDomain(value, ascii, address: null, isInternational: nonAscii);
        return true;
    }

    private static bool TryToAscii(string value, out string ascii)
    {
        try
        {
            ascii = NewIdnMapping().GetAscii(value).ToLowerInvariant();
            return true;
        }
        catch (ArgumentException)
        {
            // IdnMapping reports every IDNA violation (disallowed code point, bad bidi, bad length) this way.
            ascii = string.Empty;
            return false;
        }
    }

    private static bool IsValidALabelName(string ascii)
    {
        try
        {
            _ = NewIdnMapping().GetUnicode(ascii);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // IdnMapping documents no thread safety for instance members, and only non-ASCII or A-label
    // names get here, so a fresh instance per call costs little.
    private static IdnMapping NewIdnMapping() => new() { UseStd3AsciiRules = true };

    private static bool LabelsFit(string ascii)
    {
        foreach (Range label in ascii.AsSpan().Split('.'))
        {
            int length = label.End.Value - label.Start.Value;
            if (length is 0 or > MaxLabelLength)
            {
                return false;
            }
        }

        return true;
    }
}
