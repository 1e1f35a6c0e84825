namespace EmailPipeline.Policy.Dkim;

/// <summary>
/// The tag=value list of RFC 6376 §3.2, shared by DKIM key records, DKIM-Signature and DMARC records (RFC 7489 §6.4
/// uses the same grammar): tags separated by ";", whitespace around names and values ignored, a trailing ";" allowed,
/// a duplicate tag is an error.
/// </summary>
public static class TagList
{
    public static bool TryParse(string text, out List<KeyValuePair<string, string>>? tags, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        tags = [];
        error = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string part in text.Split(';'))
        {
            if (string.IsNullOrWhiteSpace(part))
            {
                continue;
            }

            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                error = $"'{part.Trim()}' is not tag=value";
                tags = null;
                return false;
            }

            string name = part[..eq].Trim();
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || !char.IsAsciiLetter(name[0]))
            {
                error = $"bad tag name '{name}'";
                tags = null;
                return false;
            }

            if (!seen.Add(name))
            {
                error = $"duplicate tag {name}=";
                tags = null;
                return false;
            }

            tags.Add(new(name, part[(eq + 1)..].Trim()));
        }

        return true;
    }
}
