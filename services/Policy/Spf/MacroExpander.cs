using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EmailPipeline.Policy.Spf;

/// <summary>Expands a parsed <see cref="MacroString"/> (RFC 7208 §7.3, §7.4).</summary>
internal static class MacroExpander
{
    /// <summary>Expands as text (exp= explanations).</summary>
    public static async Task<string> ExpandAsync(MacroString macroString, MacroContext context, string domain, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        foreach (MacroString.Part part in macroString.Parts)
        {
            switch (part)
            {
                case MacroString.Part.Literal literal:
                    output.Append(literal.Text);
                    break;
                case MacroString.Part.Macro macro:
                    string value = await ValueAsync(macro.Letter, context, domain, cancellationToken).ConfigureAwait(false);
                    string transformed = Transform(value, macro);
                    output.Append(macro.UrlEscape ? UrlEscape(transformed) : transformed);
                    break;
            }
        }

        return output.ToString();
    }

    /// <summary>
    /// Expands a domain-spec into a name to query: over 253 octets, labels are dropped from the left (§7.3);
    /// a trailing dot is removed.
    /// </summary>
    public static async Task<string> ExpandDomainAsync(MacroString domainSpec, MacroContext context, string domain, CancellationToken cancellationToken)
    {
        string name = await ExpandAsync(domainSpec, context, domain, cancellationToken).ConfigureAwait(false);
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        while (name.Length > 253)
        {
            int dot = name.IndexOf('.', StringComparison.Ordinal);
            name = dot < 0 ? string.Empty : name[(dot + 1)..];
        }

        return name;
    }

    private static async Task<string> ValueAsync(char letter, MacroContext context, string domain, CancellationToken cancellationToken) => letter switch
    {
        's' => context.Sender,
        'l' => context.LocalPart,
        'o' => context.SenderDomain,
        'd' => domain,
        'i' => DottedAddress(context.Ip),
        'p' => await context.ValidatedName(domain, cancellationToken).ConfigureAwait(false),
        'v' => context.Ip.AddressFamily == AddressFamily.InterNetwork ? "in-addr" : "ip6",
        'h' => context.Helo,
        'c' => context.Ip.ToString(),
        'r' => context.Receiver,
        't' => context.Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(letter), letter, "not a macro letter"),
    };

    // §7.3: IPv4 as dotted quad; IPv6 as 32 dot-separated nibbles (lower case, as in the §7.4 example).
    private static string DottedAddress(IPAddress ip)
    {
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            return ip.ToString();
        }

        var nibbles = new StringBuilder(63);
        foreach (byte b in ip.GetAddressBytes())
        {
            nibbles.Append("0123456789abcdef"[b >> 4]).Append('.').Append("0123456789abcdef"[b & 0xF]).Append('.');
        }

        return nibbles.ToString(0, nibbles.Length - 1);
    }

    // Split on the delimiters, optionally reverse, keep the rightmost N parts, join with dots (§7.3).
    private static string Transform(string value, MacroString.Part.Macro macro)
    {
        if (macro.Digits == 0 && !macro.Reverse && macro.Delimiters == ".")
        {
            return value;
        }

        string[] parts = value.Split(macro.Delimiters.ToCharArray());
        IEnumerable<string> ordered = macro.Reverse ? parts.Reverse() : parts;
        if (macro.Digits > 0 && macro.Digits < parts.Length)
        {
            ordered = ordered.Skip(parts.Length - macro.Digits);
        }

        return string.Join('.', ordered);
    }

    // Upper-case macro letters are URL-escaped: everything outside RFC 3986 "unreserved", byte by byte in UTF-8.
    private static string UrlEscape(string value)
    {
        var escaped = new StringBuilder(value.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                escaped.Append((char)b);
            }
            else
            {
                escaped.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return escaped.ToString();
    }
}
