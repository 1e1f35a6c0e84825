using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace EmailPipeline.Smtp.Addresses;

/// <summary>
/// An RFC 5321 §4.1.2 Mailbox (<c>Local-part "@" ( Domain / address-literal )</c>), with the RFC 6531
/// UTF-8 extensions when the caller allows them.
/// </summary>
/// <remarks>
/// <see cref="LocalPart"/> is kept in wire form (a quoted local part keeps its quotes and escapes),
/// because the local part belongs to the receiving host and must be relayed byte for byte.
/// Equality is ordinal on the local part (RFC 5321 §2.4: only the destination may fold case) and
/// case-insensitive on the domain.
/// </remarks>
public sealed class Mailbox : IEquatable<Mailbox>
{
    /// <summary>RFC 5321 §4.5.3.1.1.</summary>
    public const int MaxLocalPartLength = 64;

    /// <summary>RFC 5321 §4.5.3.1.3 caps the path at 256 octets; less the two angle brackets.</summary>
    public const int MaxLength = 254;

    private Mailbox(string localPart, SmtpDomain domain, bool localPartIsInternational)
    {
        LocalPart = localPart;
        Domain = domain;
        IsInternational = localPartIsInternational || domain.IsInternational;
    }

    /// <summary>The local part in wire form: a dot-string as given, or a quoted string with its quotes.</summary>
    public string LocalPart { get; }

    public SmtpDomain Domain { get; }

    /// <summary>True when either part holds non-ASCII text, so the transaction needs SMTPUTF8.</summary>
    public bool IsInternational { get; }

    /// <summary>True for <c>postmaster@…</c> in any case (RFC 5321 §4.5.1 treats it case-insensitively).</summary>
    public bool IsPostmaster => string.Equals(LocalPart, "postmaster", StringComparison.OrdinalIgnoreCase);

    public static bool TryParse(ReadOnlySpan<byte> utf8, bool allowUtf8, [NotNullWhen(true)] out Mailbox? mailbox)
    {
        mailbox = null;
        if (utf8.Length is < 3 or > MaxLength)
        {
            return false;
        }

        int localLength = MeasureLocalPart(utf8, allowUtf8, out bool localNonAscii);
        if (localLength <= 0 || localLength > MaxLocalPartLength
            || localLength >= utf8.Length || utf8[localLength] != (byte)'@')
        {
            return false;
        }

        ReadOnlySpan<byte> local = utf8[..localLength];
        if (localNonAscii && !Utf8.IsValid(local))
        {
            return false;
        }

        if (!SmtpDomain.TryParse(utf8[(localLength + 1)..], allowUtf8, out SmtpDomain? domain))
        {
            return false;
        }

        mailbox = new Mailbox(Encoding.UTF8.GetString(local), domain, localNonAscii);
        return true;
    }

    /// <summary>Parses a mailbox held in a string (configuration, tests).</summary>
    public static bool TryParse(string? text, bool allowUtf8, [NotNullWhen(true)] out Mailbox? mailbox)
    {
        mailbox = null;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength)
        {
            return false;
        }

        return TryParse(Encoding.UTF8.GetBytes(text), allowUtf8, out mailbox);
    }

    /// <summary>
    /// Length of the local part at the start of <paramref name="utf8"/>, or -1 when it is malformed.
    /// Scanning stops at the first octet that cannot continue the local part, normally the '@'.
    /// </summary>
    internal static int MeasureLocalPart(ReadOnlySpan<byte> utf8, bool allowUtf8, out bool nonAscii)
    {
        nonAscii = false;
        if (utf8.IsEmpty)
        {
            return -1;
        }

        return utf8[0] == (byte)'"'
            ? MeasureQuotedString(utf8, allowUtf8, out nonAscii)
            : MeasureDotString(utf8, allowUtf8, out nonAscii);
    }

    private static int MeasureDotString(ReadOnlySpan<byte> utf8, bool allowUtf8, out bool nonAscii)
    {
        nonAscii = false;
        bool atomStart = true;
        int i = 0;
        for (; i < utf8.Length; i++)
        {
            byte b = utf8[i];
            if (b == (byte)'.')
            {
                if (atomStart)
                {
                    return -1;
                }

                atomStart = true;
            }
            else if (IsAtext(b))
            {
                atomStart = false;
            }
            else if (b >= 0x80 && allowUtf8)
            {
                nonAscii = true;
                atomStart = false;
            }
            else
            {
                break;
            }
        }

        // A trailing dot leaves an empty last atom.
        return atomStart ? -1 : i;
    }

    private static int MeasureQuotedString(ReadOnlySpan<byte> utf8, bool allowUtf8, out bool nonAscii)
    {
        nonAscii = false;
        for (int i = 1; i < utf8.Length; i++)
        {
            byte b = utf8[i];
            if (b == (byte)'"')
            {
                return i + 1;
            }

            if (b == (byte)'\\')
            {
                // quoted-pairSMTP = %d92 %d32-126
                if (++i >= utf8.Length || utf8[i] is < 32 or > 126)
                {
                    return -1;
                }
            }
            else if (b >= 0x80)
            {
                if (!allowUtf8)
                {
                    return -1;
                }

                nonAscii = true;
            }
            else if (b is < 32 or > 126)
            {
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126: no controls, DEL or bare backslash.
                return -1;
            }
        }

        return -1;
    }

    /// <summary>RFC 5322 §3.2.3 atext (ASCII part).</summary>
    internal static bool IsAtext(byte b) =>
        char.IsAsciiLetterOrDigit((char)b) || (b < 0x80 && "!#$%&'*+-/=?^_`{|}~"u8.Contains(b));

    public bool Equals(Mailbox? other) =>
        other is not null
        && string.Equals(LocalPart, other.LocalPart, StringComparison.Ordinal)
        && Domain.Equals(other.Domain);

    public override bool Equals(object? obj) => Equals(obj as Mailbox);

    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(LocalPart), Domain);

    public static bool operator ==(Mailbox? left, Mailbox? right) =>
        left is null ? right is null : left.Equals(right);

    public static bool operator !=(Mailbox? left, Mailbox? right) => !(left == right);

    /// <summary><c>local@domain</c> as the client wrote it.</summary>
    public override string ToString() => LocalPart + "@" + Domain.Value;
}
