using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using EmailPipeline.Testing;

namespace EmailPipeline.Deploy.Tests;

/// <summary>
/// Each published service run as its image runs it: `dotnet EmailPipeline.&lt;Service&gt;.dll` with nothing but the
/// environment of deploy/Dockerfile (and the base image), the configuration the chart's default values give its pod
/// (ConfigMap and container env), and a RabbitMQ vhost of its own; from an empty working directory that must stay
/// empty (the pod's root filesystem is read-only). A service that cannot start in its image (Policy without its Public
/// Suffix List exited 78, issue 9) fails here.
/// </summary>
public sealed partial class ServiceStartTests(PublishedServices published)
{
    // Generous: two shared cores, other builds running; a healthy start takes a few seconds.
    private static readonly TimeSpan ReadyBound = TimeSpan.FromSeconds(120);
    // The chart's longest shutdown is the ingress drain (nothing to drain here) plus its publish timeout (15 s).
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("Ingress")]
    [InlineData("Queue")]
    [InlineData("Delivery")]
    [InlineData("Policy")]
    public async Task Each_published_service_starts_from_an_empty_directory_and_becomes_ready(string service)
    {
        PublishedService output = published.Get(service);
        output.AssertSucceeded();
        DirectoryInfo scratch = Directory.CreateTempSubdirectory($"emailpipeline-start-{service}-");
        try
        {
            string work = scratch.CreateSubdirectory("work").FullName;
            await using RabbitVirtualHost vhost = await RabbitVirtualHost.CreateAsync("deploy-start");
            Dictionary<string, string> environment = PodEnvironment(service, scratch, vhost.Url, out string httpUrl);

            var start = new ProcessStartInfo(DotnetHost()) { WorkingDirectory = work };
            start.ArgumentList.Add(output.EntryPoint);
            start.Environment.Clear();
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }

            await using ServiceProcess process = ServiceProcess.Start(start);
            await process.WaitHealthyAsync($"{httpUrl}/health/ready", ReadyBound);

            if (service == "Policy")
            {
                // The list shipped in the image, not a file of the machine running the test.
                Assert.Contains($"from {Path.Combine(output.Directory, "public_suffix_list.dat")}", process.Output, StringComparison.Ordinal);
            }

            process.Terminate();
            Assert.True(await process.WaitForExitAsync(StopBound), $"{service} still running {StopBound} after SIGTERM:\n{process.Output}");
            Assert.True(process.ExitCode == 0, $"{service} exited {process.ExitCode} after SIGTERM:\n{process.Output}");
            Assert.Empty(Directory.EnumerateFileSystemEntries(work));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The Dockerfile's and base image's environment (state, scratch and HOME in fresh directories), then the chart's
    /// ConfigMap and literal container env for the component, with the pod's addresses moved to free loopback ports.
    /// </summary>
    private static Dictionary<string, string> PodEnvironment(string service, DirectoryInfo scratch, string brokerUrl, out string httpUrl)
    {
        string component = service.ToLowerInvariant();
        string data = scratch.CreateSubdirectory("data").FullName;
        string tmp = scratch.CreateSubdirectory("tmp").FullName;
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            // mcr.microsoft.com/dotnet/aspnet:10.0 sets these; the Dockerfile clears ASPNETCORE_HTTP_PORTS again.
            ["APP_UID"] = "1654",
            ["ASPNETCORE_HTTP_PORTS"] = "8080",
            ["DOTNET_RUNNING_IN_CONTAINER"] = "true",
        };
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } dotnetRoot)
        {
            env["DOTNET_ROOT"] = dotnetRoot;
        }

        foreach (var (key, value) in DockerfileEnvironment(service))
        {
            env[key] = value;
        }

        IReadOnlyList<RenderedObject> chart = DeployTools.Render("default");
        RenderedObject configMap = Assert.Single(chart, o => o.Kind == "ConfigMap" && o.Name.EndsWith("-" + component, StringComparison.Ordinal));
        foreach (JsonProperty p in configMap.Object.GetProperty("data").EnumerateObject())
        {
            env[p.Name] = p.Value.GetString() ?? "";
        }

        RenderedObject deployment = Assert.Single(chart, o => o.Kind == "Deployment" && o.Name.EndsWith("-" + component, StringComparison.Ordinal));
        foreach (JsonElement e in deployment.Spec.GetProperty("template").GetProperty("spec").GetProperty("containers")[0].GetProperty("env").EnumerateArray())
        {
            if (e.TryGetProperty("value", out JsonElement value) && value.GetString() is { } literal && !literal.Contains("$(", StringComparison.Ordinal))
            {
                env[e.GetProperty("name").GetString()!] = literal;
            }
        }

        // The pod's volumes (/var/lib/emailpipeline, which the image and the chart name, and /tmp, also HOME) as
        // fresh directories.
        Assert.Equal("/var/lib/emailpipeline", env["EMAILPIPELINE_DATA"]);
        env["EMAILPIPELINE_DATA"] = data;
        env["TMPDIR"] = tmp;
        env["HOME"] = tmp;

        // What the pod gets from its Secret and the downward API.
        env["RABBITMQ_URL"] = brokerUrl;
        env["POD_NAME"] = $"mail-emailpipeline-{component}-0";
        env["POD_NAMESPACE"] = "mail";
        env["OTEL_RESOURCE_ATTRIBUTES"] = $"k8s.pod.name={env["POD_NAME"]},k8s.namespace.name=mail";

        // The pod's addresses (0.0.0.0 and the chart's ports) become free loopback ports.
        string[] addressKeys = [.. env.Keys.Where(k => ListenerAddress().IsMatch(k))];
        string[] portKeys = [.. env.Keys.Where(k => ListenerPort().IsMatch(k))];
        int[] ports = FreePorts.Take(portKeys.Length + 1);
        foreach (string key in addressKeys)
        {
            env[key] = "127.0.0.1";
        }

        for (int i = 0; i < portKeys.Length; i++)
        {
            env[portKeys[i]] = ports[i + 1].ToString(CultureInfo.InvariantCulture);
        }

        string httpKey = $"{service}__HttpUrl";
        Assert.StartsWith("http://0.0.0.0:", env[httpKey], StringComparison.Ordinal);
        httpUrl = $"http://127.0.0.1:{ports[0].ToString(CultureInfo.InvariantCulture)}";
        env[httpKey] = httpUrl;
        return env;
    }

    /// <summary>The runtime stage's ENV instruction of deploy/Dockerfile, ${SERVICE} expanded.</summary>
    private static Dictionary<string, string> DockerfileEnvironment(string service)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] lines = File.ReadAllLines(Path.Combine(DeployTools.Root, "deploy", "Dockerfile"));
        int at = Array.FindLastIndex(lines, l => l.StartsWith("ENV ", StringComparison.Ordinal));
        Assert.True(at >= 0, "deploy/Dockerfile has no ENV instruction");
        for (int i = at; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.StartsWith('#'))
            {
                continue;
            }

            bool continues = line.EndsWith('\\');
            string assignment = (i == at ? line["ENV ".Length..] : line).TrimEnd('\\').Trim();
            int eq = assignment.IndexOf('=', StringComparison.Ordinal);
            Assert.True(eq > 0, $"deploy/Dockerfile line {i + 1}: '{lines[i]}' is not KEY=value");
            env[assignment[..eq]] = assignment[(eq + 1)..].Trim('"').Replace("${SERVICE}", service, StringComparison.Ordinal);
            if (!continues)
            {
                break;
            }
        }

        return env;
    }

    /// <summary>The dotnet host running this test run (the image runs `dotnet`, too).</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    [GeneratedRegex(@"^Ingress__Listeners__\d+__Address$")]
    private static partial Regex ListenerAddress();

    [GeneratedRegex(@"^Ingress__Listeners__\d+__Port$")]
    private static partial Regex ListenerPort();
}
