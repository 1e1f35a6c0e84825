using System.Text.RegularExpressions;

namespace EmailPipeline.Observability.Tests.Support;

/// <summary>One instrument a service's code creates, and the names the OpenTelemetry Prometheus exporter gives it.</summary>
public sealed record Instrument(string File, string Kind, string Name, string Unit)
{
    /// <summary>
    /// OpenTelemetry → Prometheus naming (the exporter's rules): dots become underscores; the unit becomes a
    /// suffix ("s" → _seconds, "By" → _bytes, "1" → _ratio; annotations like "{message}" add nothing) unless the
    /// name already ends with it; counters end in _total; histograms are series _bucket, _sum and _count.
    /// </summary>
    public IReadOnlyList<string> PrometheusNames
    {
        get
        {
            string name = Name.Replace('.', '_').Replace('-', '_');
            string? unit = Unit switch
            {
                "s" => "seconds",
                "ms" => "milliseconds",
                "By" => "bytes",
                "1" => "ratio",
                _ => null,
            };
            if (unit is not null && !name.EndsWith("_" + unit, StringComparison.Ordinal))
            {
                name += "_" + unit;
            }

            return Kind switch
            {
                "Counter" or "ObservableCounter" => [name + "_total"],
                "Histogram" => [name + "_bucket", name + "_sum", name + "_count"],
                _ => [name],
            };
        }
    }
}

/// <summary>Scans the services' and shared libraries' sources for Meter.Create… calls with literal names.</summary>
public static partial class RegisteredInstruments
{
    public static IReadOnlyList<Instrument> Scan()
    {
        var found = new List<Instrument>();
        foreach (string dir in (string[])["services", "shared"])
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, dir), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                {
                    continue;
                }

                string text = File.ReadAllText(file);
                foreach (Match m in Create().Matches(text))
                {
                    // CreateObservableGauge(name, callback, unit, …): the unit is the third argument.
                    string unit = m.Groups["unit"].Success ? m.Groups["unit"].Value : m.Groups["ounit"].Value;
                    found.Add(new Instrument(Path.GetRelativePath(RepositoryPaths.Root, file), m.Groups["kind"].Value, m.Groups["name"].Value, unit));
                }
            }
        }

        return found;
    }

    [GeneratedRegex("""Create(?<kind>Counter|UpDownCounter|Histogram|Gauge|ObservableGauge|ObservableCounter|ObservableUpDownCounter)(?:<[^>]+>)?\(\s*"(?<name>[a-z0-9_.]+)"\s*,\s*(?:"(?<unit>[^"]*)"|[^,]+,\s*"(?<ounit>[^"]*)")""", RegexOptions.Singleline)]
    private static partial Regex Create();
}
