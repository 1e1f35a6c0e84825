using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace EmailPipeline.Policy.Spf;

/// <summary>
/// Parses a whole SPF record (RFC 7208 §4.6, §12) before any of it is evaluated, so a syntax error anywhere is a
/// permerror even when an earlier mechanism would have matched (the suite's "detect-errors-anywhere").
/// </summary>
public static partial class SpfRecordParser
{
    private const string Version = "v=spf1";

    /// <summary>§4.5: a TXT record is an SPF record when it starts with "v=spf1" (any case) followed by a space or its end.</summary>
    public static bool IsSpfRecord(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.StartsWith(Version, StringComparison.OrdinalIgnoreCase) && (text.Length == Version.Length || text[Version.Length] == ' ');
    }

    public static bool TryParse(string text, [NotNullWhen(true)] out SpfRecord? record, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        record = null;
        if (!IsSpfRecord(text))
        {
            error = "not an SPF record";
            return false;
        }

        // §3.1 and §4.6.1: records are 7-bit ASCII and terms are separated by spaces only, so any other byte is an error.
        foreach (char c in text)
        {
            if (c is < ' ' or > '~')
            {
                error = string.Create(CultureInfo.InvariantCulture, $"character U+{(int)c:X4} not allowed in an SPF record");
                return false;
            }
        }

        var directives = new List<SpfDirective>();
        MacroString? redirect = null;
        MacroString? explanation = null;
        foreach (string term in text[Version.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int special = term.AsSpan().IndexOfAny(":/=");
            if (special >= 0 && term[special] == '=')
            {
                if (!TryParseModifier(term, special, ref redirect, ref explanation, out error))
                {
                    return false;
                }

                continue;
            }

            SpfDirective? directive = ParseDirective(term);
            if (directive is null)
            {
                error = $"invalid term '{term}'";
                return false;
            }

            directives.Add(directive);
        }

        record = new SpfRecord(directives, redirect, explanation);
        error = null;
        return true;
    }

    private static bool TryParseModifier(string term, int equals, ref MacroString? redirect, ref MacroString? explanation, [NotNullWhen(false)] out string? error)
    {
        string name = term[..equals];
        string value = term[(equals + 1)..];
        error = null;
        if (!ModifierName().IsMatch(name))
        {
            error = $"invalid modifier name in '{term}'";
            return false;
        }

        // Known modifier names are not "unknown-modifier" when their value is bad: that is an error, not ignored.
        bool isRedirect = name.Equals("redirect", StringComparison.OrdinalIgnoreCase);
        if (isRedirect || name.Equals("exp", StringComparison.OrdinalIgnoreCase))
        {
            if ((isRedirect ? redirect : explanation) is not null)
            {
                error = $"{name}= appears more than once";
                return false;
            }

            MacroString? domain = MacroString.TryParseDomainSpec(value);
            if (domain is null)
            {
                error = $"invalid domain-spec in '{term}'";
                return false;
            }

            if (isRedirect)
            {
                redirect = domain;
            }
            else
            {
                explanation = domain;
            }

            return true;
        }

        // §6: unknown modifiers are ignored, but their value must still be a valid macro-string.
        if (MacroString.TryParse(value) is null)
        {
            error = $"invalid macro-string in '{term}'";
            return false;
        }

        return true;
    }

    private static SpfDirective? ParseDirective(string term)
    {
        SpfResult qualifier = SpfResult.Pass;
        string rest = term;
        if (rest.Length > 0 && rest[0] is '+' or '-' or '~' or '?')
        {
            qualifier = rest[0] switch { '-' => SpfResult.Fail, '~' => SpfResult.SoftFail, '?' => SpfResult.Neutral, _ => SpfResult.Pass };
            rest = rest[1..];
        }

        int end = rest.AsSpan().IndexOfAny(":/");
        string name = end < 0 ? rest : rest[..end];
        string arguments = end < 0 ? string.Empty : rest[end..];
        return name.ToLowerInvariant() switch
        {
            "all" => arguments.Length == 0 ? new SpfDirective(term, qualifier, SpfMechanism.All) : null,
            "include" => DomainOnly(term, qualifier, SpfMechanism.Include, arguments, required: true),
            "exists" => DomainOnly(term, qualifier, SpfMechanism.Exists, arguments, required: true),
            "ptr" => DomainOnly(term, qualifier, SpfMechanism.Ptr, arguments, required: false),
            "a" => DomainAndCidr(term, qualifier, SpfMechanism.A, arguments),
            "mx" => DomainAndCidr(term, qualifier, SpfMechanism.Mx, arguments),
            "ip4" => Network(term, qualifier, SpfMechanism.Ip4, arguments),
            "ip6" => Network(term, qualifier, SpfMechanism.Ip6, arguments),
            _ => null,
        };
    }

    // include / exists (":" domain-spec required) and ptr ([":" domain-spec]); none takes a prefix length.
    private static SpfDirective? DomainOnly(string term, SpfResult qualifier, SpfMechanism mechanism, string arguments, bool required)
    {
        if (arguments.Length == 0)
        {
            return required ? null : new SpfDirective(term, qualifier, mechanism);
        }

        if (arguments[0] != ':')
        {
            return null;
        }

        MacroString? domain = MacroString.TryParseDomainSpec(arguments[1..]);
        return domain is null ? null : new SpfDirective(term, qualifier, mechanism, domain);
    }

    // a / mx: [":" domain-spec] [ "/" ip4-cidr ] [ "//" ip6-cidr ]. The prefix lengths are peeled off the end, so a
    // domain-spec may itself contain "/" and ":" ("a:foo:bar/baz.example.com").
    private static SpfDirective? DomainAndCidr(string term, SpfResult qualifier, SpfMechanism mechanism, string arguments)
    {
        MacroString? domain = null;
        string cidr = arguments;
        if (arguments.StartsWith(':'))
        {
            Match split = DomainThenCidr().Match(arguments[1..]);
            domain = MacroString.TryParseDomainSpec(split.Groups["domain"].Value);
            if (domain is null)
            {
                return null;
            }

            cidr = arguments[(1 + split.Groups["domain"].Length)..];
        }

        Match lengths = DualCidr().Match(cidr);
        if (!lengths.Success)
        {
            return null;
        }

        int ip4 = 32;
        int ip6 = 128;
        if ((lengths.Groups["ip4"].Success && !TryPrefix(lengths.Groups["ip4"].Value, 32, out ip4))
            || (lengths.Groups["ip6"].Success && !TryPrefix(lengths.Groups["ip6"].Value, 128, out ip6)))
        {
            return null;
        }

        return new SpfDirective(term, qualifier, mechanism, domain, Ip4Prefix: ip4, Ip6Prefix: ip6);
    }

    // ip4 ":" ip4-network [ "/" length ] and ip6 ":" ip6-network [ "/" length ].
    private static SpfDirective? Network(string term, SpfResult qualifier, SpfMechanism mechanism, string arguments)
    {
        if (!arguments.StartsWith(':'))
        {
            return null;
        }

        string value = arguments[1..];
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        string address = slash < 0 ? value : value[..slash];
        int maximum = mechanism == SpfMechanism.Ip4 ? 32 : 128;
        int prefix = maximum;
        if (slash >= 0 && !TryPrefix(value[(slash + 1)..], maximum, out prefix))
        {
            return null;
        }

        IPAddress? network = mechanism == SpfMechanism.Ip4 ? ParseIp4(address) : ParseIp6(address);
        return network is null
            ? null
            : new SpfDirective(term, qualifier, mechanism, Network: network, Ip4Prefix: mechanism == SpfMechanism.Ip4 ? prefix : 32, Ip6Prefix: mechanism == SpfMechanism.Ip6 ? prefix : 128);
    }

    // ip4-network is exactly four decimal octets without leading zeros; IPAddress.Parse would take "1.2.3" or hex.
    private static IPAddress? ParseIp4(string text) =>
        Ip4Network().IsMatch(text) ? IPAddress.Parse(text) : null;

    private static IPAddress? ParseIp6(string text) =>
        Ip6Characters().IsMatch(text) && IPAddress.TryParse(text, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetworkV6
            ? address
            : null;

    // 1*DIGIT without leading zeros (the suite reads "/032" as an error), within the family's range.
    private static bool TryPrefix(string digits, int maximum, out int prefix)
    {
        prefix = 0;
        return digits.Length is > 0 and <= 3
               && digits.All(char.IsAsciiDigit)
               && (digits.Length == 1 || digits[0] != '0')
               && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out prefix)
               && prefix <= maximum;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ModifierName();

    [GeneratedRegex(@"^(?<domain>.*?)(?:/[0-9]+)?(?://[0-9]+)?$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex DomainThenCidr();

    [GeneratedRegex(@"^(?:/(?<ip4>[0-9]+))?(?://(?<ip6>[0-9]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex DualCidr();

    [GeneratedRegex(@"^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$", RegexOptions.CultureInvariant)]
    private static partial Regex Ip4Network();

    [GeneratedRegex("^[0-9A-Fa-f:.]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Ip6Characters();
}
