using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace EmailPipeline.Smtp.Parsing;

/// <summary>
/// RFC 3461 §4 xtext: printable ASCII 33–126 except '+' and '=' stands for itself, anything else is
/// "+" and two upper-case hex digits. Used by ENVID, ORCPT and the MAIL AUTH= parameter.
/// </summary>
public static class Xtext
{
    /// <summary>
    /// Decodes <paramref name="xtext"/>. Lower-case hex is accepted (clients get it wrong, and it is not
    /// ambiguous); the decoded octets must be valid UTF-8.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> xtext, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (xtext.IndexOf((byte)'+') < 0)
        {
            if (!IsValidXtextChars(xtext))
            {
                return false;
            }

            value = Encoding.ASCII.GetString(xtext);
            return true;
        }

        // Decoding only shrinks, so the input length bounds the output. Parameter values are short
        // (the command line is capped at 512 octets), so the stack nearly always suffices.
        Span<byte> decoded = xtext.Length <= 512 ? stackalloc byte[512] : new byte[xtext.Length];
        int written = 0;
        for (int i = 0; i < xtext.Length; i++)
        {
            byte b = xtext[i];
            if (b == (byte)'+')
            {
                if (i + 2 >= xtext.Length
                    || !TryHex(xtext[i + 1], out int high) || !TryHex(xtext[i + 2], out int low))
                {
                    return false;
                }

                decoded[written++] = (byte)((high << 4) | low);
                i += 2;
            }
            else if (IsXchar(b))
            {
                decoded[written++] = b;
            }
            else
            {
                return false;
            }
        }

        ReadOnlySpan<byte> result = decoded[..written];
        if (!Utf8.IsValid(result))
        {
            return false;
        }

        value = Encoding.UTF8.GetString(result);
        return true;
    }

    /// <summary>Encodes the UTF-8 form of <paramref name="value"/> as xtext.</summary>
    public static string Encode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        var builder = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            if (IsXchar(b))
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('+').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static bool IsXchar(byte b) => b is >= 33 and <= 126 and not (byte)'+' and not (byte)'=';

    private static bool IsValidXtextChars(ReadOnlySpan<byte> xtext)
    {
        foreach (byte b in xtext)
        {
            if (!IsXchar(b))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryHex(byte b, out int value)
    {
        value = b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
