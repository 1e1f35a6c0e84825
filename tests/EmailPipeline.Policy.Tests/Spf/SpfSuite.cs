using System.Net;
using EmailPipeline.Policy.Dns;
using YamlDotNet.RepresentationModel;

namespace EmailPipeline.Policy.Tests.Spf;

/// <summary>One test of the RFC 7208 suite, with the DNS of its scenario.</summary>
internal sealed record SpfSuiteCase(
    string Name, string Helo, IPAddress Host, string MailFrom, IReadOnlyList<string> Results, string? Explanation, ZoneResolver Dns);

/// <summary>
/// Loads the openspf/pyspf RFC 7208 suite (`../shared/conformance/spf/rfc7208-tests.yml` beside the repository root,
/// or EMAILPIPELINE_SPF_SUITE): a YAML stream of scenarios, each with tests and zonedata.
/// </summary>
internal static class SpfSuite
{
    private static readonly Lazy<IReadOnlyDictionary<string, SpfSuiteCase>> Loaded = new(Load);

    public static IReadOnlyDictionary<string, SpfSuiteCase> Cases => Loaded.Value;

    public static string FindSuiteFile()
    {
        string? configured = Environment.GetEnvironmentVariable("EMAILPIPELINE_SPF_SUITE");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EmailPipeline.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "conformance", "spf", "rfc7208-tests.yml"));
            }
        }

        throw new FileNotFoundException("EmailPipeline.sln not found above " + AppContext.BaseDirectory);
    }

    private static IReadOnlyDictionary<string, SpfSuiteCase> Load()
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(FindSuiteFile()))
        {
            stream.Load(reader);
        }

        var cases = new Dictionary<string, SpfSuiteCase>(StringComparer.Ordinal);
        foreach (YamlDocument document in stream.Documents)
        {
            var scenario = (YamlMappingNode)document.RootNode;
            string description = Text(scenario, "description") ?? "scenario";
            var dns = new ZoneResolver(LoadZone(scenario.Children.TryGetValue(new YamlScalarNode("zonedata"), out YamlNode? zone) ? zone as YamlMappingNode : null));
            foreach ((YamlNode id, YamlNode node) in ((YamlMappingNode)scenario[new YamlScalarNode("tests")]).Children)
            {
                var test = (YamlMappingNode)node;
                string name = $"{description}/{((YamlScalarNode)id).Value}";
                YamlNode result = test[new YamlScalarNode("result")];
                IReadOnlyList<string> results = result is YamlSequenceNode list
                    ? list.Children.Select(r => ((YamlScalarNode)r).Value!).ToArray()
                    : [((YamlScalarNode)result).Value!];
                cases.Add(name, new SpfSuiteCase(
                    name,
                    Text(test, "helo") ?? string.Empty,
                    IPAddress.Parse(Text(test, "host")!),
                    Text(test, "mailfrom") ?? string.Empty,
                    results,
                    Text(test, "explanation"),
                    dns));
            }
        }

        return cases;
    }

    // SPF values are served as TXT too unless the name has TXT entries of its own (pyspf's driver appends them last,
    // after any TIMEOUT); "TXT: NONE" only says "no TXT here".
    private static Dictionary<string, IReadOnlyList<ZoneEntry>> LoadZone(YamlMappingNode? zonedata)
    {
        var zone = new Dictionary<string, IReadOnlyList<ZoneEntry>>(StringComparer.Ordinal);
        foreach ((YamlNode nameNode, YamlNode itemsNode) in zonedata?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
        {
            var entries = new List<ZoneEntry>();
            var spf = new List<ZoneEntry>();
            bool hasTxt = false;
            foreach (YamlNode item in (YamlSequenceNode)itemsNode)
            {
                if (item is YamlScalarNode { Value: ZoneEntry.Timeout })
                {
                    entries.Add(new ZoneEntry(ZoneEntry.Timeout, null));
                    continue;
                }

                (YamlNode typeNode, YamlNode value) = ((YamlMappingNode)item).Children.Single();
                string type = ((YamlScalarNode)typeNode).Value!.ToUpperInvariant();
                switch (type)
                {
                    case ZoneEntry.Txt:
                        hasTxt = true;
                        if (value is not YamlScalarNode { Value: "NONE" })
                        {
                            entries.Add(new ZoneEntry(ZoneEntry.Txt, Strings(value)));
                        }

                        break;
                    case ZoneEntry.Spf:
                        spf.Add(new ZoneEntry(ZoneEntry.Txt, Strings(value)));
                        break;
                    case ZoneEntry.A or ZoneEntry.Aaaa:
                        entries.Add(new ZoneEntry(type, IPAddress.Parse(((YamlScalarNode)value).Value!)));
                        break;
                    case ZoneEntry.Mx:
                        var mx = (YamlSequenceNode)value;
                        entries.Add(new ZoneEntry(type, new MxHost(
                            ushort.Parse(((YamlScalarNode)mx[0]).Value!, System.Globalization.CultureInfo.InvariantCulture),
                            ((YamlScalarNode)mx[1]).Value!.TrimEnd('.'))));
                        break;
                    case ZoneEntry.Ptr or ZoneEntry.Cname:
                        entries.Add(new ZoneEntry(type, ((YamlScalarNode)value).Value!.TrimEnd('.')));
                        break;
                    default:
                        throw new InvalidDataException($"zonedata type {type} is not known to this driver");
                }
            }

            if (!hasTxt)
            {
                entries.AddRange(spf);
            }

            zone[((YamlScalarNode)nameNode).Value!.TrimEnd('.').ToLowerInvariant()] = entries;
        }

        return zone;
    }

    private static IReadOnlyList<string> Strings(YamlNode value) => value is YamlSequenceNode list
        ? list.Children.Select(s => ((YamlScalarNode)s).Value ?? string.Empty).ToArray()
        : [((YamlScalarNode)value).Value ?? string.Empty];

    private static string? Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? value) ? ((YamlScalarNode)value).Value : null;
}
