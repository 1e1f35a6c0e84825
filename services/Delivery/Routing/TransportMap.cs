using EmailPipeline.Delivery.Configuration;

namespace EmailPipeline.Delivery.Routing;

/// <summary>
/// Picks the transport rule for a recipient domain. Precedence: the exact domain, then the longest
/// "*.suffix" that covers it ("*.example.test" covers "a.b.example.test", not "example.test" itself),
/// then "*". Matching ignores case and a trailing dot.
/// </summary>
public sealed class TransportMap
{
    private readonly Dictionary<string, TransportRule> _exact = new(StringComparer.Ordinal);
    private readonly List<(string Suffix, TransportRule Rule)> _wildcards = [];
    private readonly TransportRule? _catchAll;

    public TransportMap(IEnumerable<TransportRule> rules)
    {
        foreach (TransportRule rule in rules)
        {
            string match = Normalize(rule.Match);
            if (match == "*")
            {
                _catchAll = rule;
            }
            else if (match.StartsWith("*.", StringComparison.Ordinal))
            {
                _wildcards.Add((match[1..], rule));
            }
            else
            {
                _exact[match] = rule;
            }
        }

        // Longest suffix first, so the most specific wildcard wins.
        _wildcards.Sort((a, b) => b.Suffix.Length.CompareTo(a.Suffix.Length));
    }

    public TransportRule? Find(string domain)
    {
        string d = Normalize(domain);
        if (_exact.TryGetValue(d, out TransportRule? exact))
        {
            return exact;
        }

        foreach ((string suffix, TransportRule rule) in _wildcards)
        {
            if (d.EndsWith(suffix, StringComparison.Ordinal) && d.Length > suffix.Length)
            {
                return rule;
            }
        }

        return _catchAll;
    }

    public static bool IsValidPattern(string? match)
    {
        if (string.IsNullOrWhiteSpace(match))
        {
            return false;
        }

        string m = Normalize(match);
        if (m == "*")
        {
            return true;
        }

        string domain = m.StartsWith("*.", StringComparison.Ordinal) ? m[2..] : m;
        return domain.Length > 0 && !domain.Contains('*', StringComparison.Ordinal) && Uri.CheckHostName(domain) == UriHostNameType.Dns;
    }

    private static string Normalize(string domain) => domain.Trim().TrimEnd('.').ToLowerInvariant();
}
