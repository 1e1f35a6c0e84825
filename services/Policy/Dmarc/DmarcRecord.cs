using System.Globalization;
using EmailPipeline.Policy.Dkim;

namespace EmailPipeline.Policy.Dmarc;

/// <summary>
/// A DMARC record (RFC 7489 §6.3). Parsing follows §6.6.3: v=DMARC1 must come first; a bad or missing p= is p=none when
/// rua= names a report address and makes the record invalid otherwise; other bad values fall back to their defaults;
/// unknown tags are ignored.
/// </summary>
public sealed record DmarcRecord
{
    public required DmarcPolicy Policy { get; init; }

    /// <summary>sp=; null means "as p=".</summary>
    public DmarcPolicy? SubdomainPolicy { get; init; }

    public int Percent { get; init; } = 100;

    public bool StrictDkim { get; init; }

    public bool StrictSpf { get; init; }

    public IReadOnlyList<string> AggregateReportAddresses { get; init; } = [];

    public IReadOnlyList<string> FailureReportAddresses { get; init; } = [];

    /// <summary>True when <paramref name="text"/> starts with "v=DMARC1" (§6.6.3 step 3 keeps only those records).</summary>
    public static bool IsDmarc(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.TrimStart();
        if (!trimmed.StartsWith('v'))
        {
            return false;
        }

        string rest = trimmed[1..].TrimStart();
        return rest.StartsWith('=') && rest[1..].TrimStart().StartsWith("DMARC1", StringComparison.Ordinal)
            && rest[1..].TrimStart()[6..].TrimStart() is "" or [';', ..];
    }

    public static bool TryParse(string text, out DmarcRecord? record, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        record = null;
        if (!IsDmarc(text))
        {
            error = "does not start with v=DMARC1";
            return false;
        }

        if (!TagList.TryParse(text, out List<KeyValuePair<string, string>>? list, out error))
        {
            return false;
        }

        Dictionary<string, string> tags = list!.ToDictionary(t => t.Key.ToLowerInvariant(), t => t.Value, StringComparer.Ordinal);
        string[] rua = Uris(tags.GetValueOrDefault("rua"));
        if (!DmarcPolicyExtensions.TryParse(tags.GetValueOrDefault("p"), out DmarcPolicy policy) && rua.Length == 0)
        {
            error = tags.ContainsKey("p") ? $"bad p={tags["p"]}" : "no p= tag";
            return false;
        }

        DmarcPolicy? subdomain = DmarcPolicyExtensions.TryParse(tags.GetValueOrDefault("sp"), out DmarcPolicy sp) ? sp : null;
        int percent = tags.TryGetValue("pct", out string? pct) && int.TryParse(pct, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p <= 100 ? p : 100;
        record = new DmarcRecord
        {
            Policy = policy,
            SubdomainPolicy = subdomain,
            Percent = percent,
            StrictDkim = string.Equals(tags.GetValueOrDefault("adkim"), "s", StringComparison.OrdinalIgnoreCase),
            StrictSpf = string.Equals(tags.GetValueOrDefault("aspf"), "s", StringComparison.OrdinalIgnoreCase),
            AggregateReportAddresses = rua,
            FailureReportAddresses = Uris(tags.GetValueOrDefault("ruf")),
        };
        error = null;
        return true;
    }

    // §6.4: a comma-separated list of URIs; only mailto: ones are usable for us.
    private static string[] Uris(string? value) =>
        value is null
            ? []
            : value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Where(u => u.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) && u.Length > 7)
                .ToArray();
}
