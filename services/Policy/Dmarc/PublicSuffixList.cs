using System.Globalization;

namespace EmailPipeline.Policy.Dmarc;

/// <summary>
/// The Public Suffix List (publicsuffix.org format: one rule a line, "//" comments, "*." wildcards, "!" exceptions) and
/// the organizational domain of RFC 7489 §3.2: the public suffix of a name plus one more label. Loaded once at start
/// from Debian's publicsuffix package (or the configured file); lookups are dictionary probes, no I/O.
/// </summary>
public sealed class PublicSuffixList
{
    private readonly HashSet<string> _rules;
    private readonly HashSet<string> _wildcards;
    private readonly HashSet<string> _exceptions;

    private PublicSuffixList(HashSet<string> rules, HashSet<string> wildcards, HashSet<string> exceptions)
    {
        _rules = rules;
        _wildcards = wildcards;
        _exceptions = exceptions;
    }

    public int RuleCount => _rules.Count + _wildcards.Count + _exceptions.Count;

    public static PublicSuffixList Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadLines(path));
    }

    public static PublicSuffixList Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var rules = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var wildcards = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var exceptions = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var idn = new IdnMapping();
        foreach (string raw in lines)
        {
            // A rule ends at the first whitespace; the rest of the line is ignored.
            string line = raw.Trim();
            int space = line.IndexOfAny([' ', '\t']);
            line = space < 0 ? line : line[..space];
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            (HashSet<string> set, string rule) = line switch
            {
                ['!', .. string rest] => (exceptions, rest),
                ['*', '.', .. string rest] => (wildcards, rest),
                _ => (rules, line),
            };
            set.Add(rule);
            if (!rule.All(char.IsAscii))
            {
                // Mail carries internationalized names as A-labels: keep that form of the rule too.
                try
                {
                    set.Add(idn.GetAscii(rule));
                }
                catch (ArgumentException)
                {
                    // Not a valid IDN; the Unicode form stays.
                }
            }
        }

        return new PublicSuffixList(rules, wildcards, exceptions);
    }

    /// <summary>
    /// The registrable ("organizational") domain: public suffix plus one label. A name that is itself a public suffix
    /// (or a single label) is its own organizational domain.
    /// </summary>
    public string OrganizationalDomain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        string name = domain.TrimEnd('.').ToLowerInvariant();
        string[] labels = name.Split('.');
        int suffixLabels = PublicSuffixLabels(labels);
        return suffixLabels >= labels.Length ? name : string.Join('.', labels[^(suffixLabels + 1)..]);
    }

    // The number of labels of the longest matching rule; an exception rule wins and drops its leftmost label; no
    // match means the implicit "*" rule: the last label.
    private int PublicSuffixLabels(string[] labels)
    {
        int best = 1;
        for (int n = labels.Length; n >= 1; n--)
        {
            string candidate = string.Join('.', labels[^n..]);
            if (_exceptions.Contains(candidate))
            {
                return n - 1;
            }

            if (n > best && _rules.Contains(candidate))
            {
                best = n;
            }

            if (n > best && n >= 2 && _wildcards.Contains(string.Join('.', labels[^(n - 1)..])))
            {
                best = n;
            }
        }

        return best;
    }
}
