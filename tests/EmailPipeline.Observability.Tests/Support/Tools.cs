using System.Diagnostics;

namespace EmailPipeline.Observability.Tests.Support;

/// <summary>The repository's observability files and the Debian prometheus/promtool binaries
/// (scripts/setup-machine.sh installs them).</summary>
public static class Tools
{
    public static string Deploy => Path.Combine(RepositoryPaths.Root, "deploy");

    public static string AlertRules => Path.Combine(Deploy, "prometheus", "alerts.yml");

    public static string Dashboards => Path.Combine(Deploy, "grafana", "dashboards");

    public static string Promtool => Find("promtool");

    public static string Prometheus => Find("prometheus");

    public static async Task<ExternalTool.Result> RunAsync(string file, params string[] args)
    {
        ExternalTool.Result r = await ExternalTool.RunAsync(file, args, timeout: TimeSpan.FromSeconds(60));
        return r;
    }

    private static string Find(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin"))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"{name} is not installed: scripts/setup-machine.sh installs Debian's prometheus package, which ships it");
        throw new UnreachableException();
    }
}
