using System.Text.Json;
using System.Text.RegularExpressions;

namespace EmailPipeline.Observability.Tests.Support;

/// <summary>One query of one Grafana panel.</summary>
public sealed record PanelQuery(string Dashboard, string Panel, string RefId, string Expr)
{
    /// <summary>The query as Prometheus gets it from Grafana, with Grafana's interval variable filled in.</summary>
    public string Resolved(string rateInterval = "1m") => Expr.Replace("$__rate_interval", rateInterval, StringComparison.Ordinal)
        .Replace("$__interval", "15s", StringComparison.Ordinal)
        .Replace("$__range", "5m", StringComparison.Ordinal);

    public override string ToString() => $"{Dashboard} / {Panel} / {RefId}: {Expr}";
}

/// <summary>The Grafana dashboards under deploy/grafana/dashboards, and the metric names in PromQL expressions.</summary>
public static partial class Dashboards
{
    public static IReadOnlyList<string> Files => Directory.GetFiles(Tools.Dashboards, "*.json").Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyList<PanelQuery> Queries()
    {
        var queries = new List<PanelQuery>();
        foreach (string file in Files)
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
            string title = doc.RootElement.GetProperty("title").GetString() ?? file;
            foreach (JsonElement panel in Panels(doc.RootElement))
            {
                if (!panel.TryGetProperty("targets", out JsonElement targets))
                {
                    continue;
                }

                foreach (JsonElement target in targets.EnumerateArray())
                {
                    queries.Add(new PanelQuery(title, panel.GetProperty("title").GetString() ?? "", target.GetProperty("refId").GetString() ?? "", target.GetProperty("expr").GetString() ?? ""));
                }
            }
        }

        return queries;
    }

    /// <summary>Every panel, rows' nested panels included.</summary>
    public static IEnumerable<JsonElement> Panels(JsonElement dashboard)
    {
        foreach (JsonElement panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out JsonElement nested))
            {
                foreach (JsonElement inner in nested.EnumerateArray())
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>
    /// The metric names a PromQL expression selects: identifiers that are neither functions, aggregation
    /// keywords, label names (inside braces or by/without/on/ignoring lists) nor string contents.
    /// </summary>
    public static IReadOnlySet<string> MetricNames(string promql)
    {
        string withoutStrings = Strings().Replace(promql, "\"\"");
        string withoutMatchers = Braces().Replace(withoutStrings, "{}");
        string withoutLabelLists = LabelLists().Replace(withoutMatchers, " ");
        string withoutRanges = Ranges().Replace(withoutLabelLists, "[]");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Identifiers().Matches(withoutRanges))
        {
            string id = m.Value;
            int next = m.Index + m.Length;
            bool isCall = next < withoutRanges.Length && withoutRanges[next..].TrimStart().StartsWith('(');
            if (isCall || Keywords.Contains(id) || char.IsDigit(id[0]))
            {
                continue;
            }

            names.Add(id);
        }

        return names;
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan", "le",
        "sum", "min", "max", "avg", "count", "group", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
    };

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex LabelLists();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifiers();
}
