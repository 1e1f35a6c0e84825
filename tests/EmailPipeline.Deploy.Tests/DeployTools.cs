using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace EmailPipeline.Deploy.Tests;

/// <summary>The repository, helm (installed once by scripts/helm-tools.sh) and the offline schema validator.</summary>
public static class DeployTools
{
    public static string Root { get; } = FindRoot();

    public static string Chart => Path.Combine(Root, "k8s", "emailpipeline");

    public static string ProductionValues => Path.Combine(Root, "k8s", "examples", "production-values.yaml");

    private static readonly Lazy<string> BinDir = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Helm => Path.Combine(BinDir.Value, "helm");

    public static string Kubectl => Path.Combine(BinDir.Value, "kubectl");

    public static string SchemasDir => Path.Combine(Root, ".tools", "kube-schemas");

    private static string Install()
    {
        ProcessResult r = Run("bash", [Path.Combine(Root, "scripts", "helm-tools.sh")], timeout: TimeSpan.FromMinutes(8));
        Assert.True(r.ExitCode == 0, $"scripts/helm-tools.sh failed ({r.ExitCode}):\n{r.StdErr}\n{r.StdOut}");
        string bin = r.StdOut.Trim().Split('\n')[^1].Trim();
        Assert.True(File.Exists(Path.Combine(bin, "helm")), $"helm-tools.sh printed '{bin}', which holds no helm");
        return bin;
    }

    /// <summary>"default" (the chart's values.yaml) or "production" (k8s/examples/production-values.yaml).</summary>
    public static string[] ValuesArgs(string values, params string[] sets)
    {
        var args = new List<string>();
        if (values == "production")
        {
            args.AddRange(["-f", ProductionValues]);
        }
        else
        {
            Assert.Equal("default", values);
        }

        foreach (string set in sets)
        {
            args.AddRange(["--set", set]);
        }

        return [.. args];
    }

    public static ProcessResult HelmTemplate(string values, params string[] sets) =>
        Run(Helm, ["template", "mail", Chart, "--namespace", "mail", .. ValuesArgs(values, sets)]);

    /// <summary>Renders the chart and runs every object through the schema validator; fails on a render error.</summary>
    public static IReadOnlyList<RenderedObject> Render(string values, params string[] sets)
    {
        ProcessResult r = HelmTemplate(values, sets);
        Assert.True(r.ExitCode == 0, $"helm template failed:\n{r.StdErr}");
        return Validate(r.StdOut);
    }

    /// <summary>Multi-document YAML in, one result per object out (see validate-k8s.mjs).</summary>
    public static IReadOnlyList<RenderedObject> Validate(string yaml)
    {
        string script = Path.Combine(Root, "tests", "EmailPipeline.Deploy.Tests", "validate-k8s.mjs");
        _ = BinDir.Value; // the schemas come with the tools
        ProcessResult r = Run("node", [script, SchemasDir], stdin: yaml);
        Assert.True(r.ExitCode == 0, $"validate-k8s.mjs failed ({r.ExitCode}):\n{r.StdErr}");
        using JsonDocument doc = JsonDocument.Parse(r.StdOut);
        return doc.RootElement.EnumerateArray().Select(e => new RenderedObject(
            e.GetProperty("apiVersion").GetString() ?? "",
            e.GetProperty("kind").GetString() ?? "",
            e.GetProperty("name").GetString() ?? "",
            e.GetProperty("schema").GetString(),
            e.GetProperty("errors").EnumerateArray().Select(x => x.GetString() ?? "").ToArray(),
            e.GetProperty("object").Clone())).ToList();
    }

    public static ProcessResult Run(string file, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Always a pipe of its own: the test process's standard input carries the runner's acknowledgements.
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Root,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // A reused MSBuild node outlives `dotnet publish`, inherits the redirected pipes and keeps them open for
        // 15 minutes; the wait for the streams below would last that long.
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        // WaitForExit(timeout) returns when the process exits, not when its output has been read; the null line
        // each handler receives is the stream's end, and only after both may the output be used.
        using var stdoutClosed = new ManualResetEventSlim();
        using var stderrClosed = new ManualResetEventSlim();
        p.OutputDataReceived += (_, e) => Collect(e.Data, stdout, stdoutClosed);
        p.ErrorDataReceived += (_, e) => Collect(e.Data, stderr, stderrClosed);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
        }

        p.StandardInput.Close();

        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time");
        }

        // Bounded: a grandchild still holding the pipes must not hang the test after the process itself exited.
        var drain = TimeSpan.FromSeconds(30);
        if (!stdoutClosed.Wait(drain) || !stderrClosed.Wait(drain))
        {
            throw new TimeoutException($"{file} {string.Join(' ', args)} exited, but a child kept its output open");
        }

        return new ProcessResult(p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static void Collect(string? line, StringBuilder into, ManualResetEventSlim closed)
    {
        if (line is null)
        {
            closed.Set();
            return;
        }

        lock (into)
        {
            into.Append(line).Append('\n');
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EmailPipeline.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("EmailPipeline.sln not found above " + AppContext.BaseDirectory);
    }
}

public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

/// <summary>One rendered object: Schema is the kubernetes-models module it was validated against (null: none knows the kind).</summary>
public sealed record RenderedObject(string ApiVersion, string Kind, string Name, string? Schema, string[] Errors, JsonElement Object)
{
    public JsonElement Spec => Object.GetProperty("spec");

    public JsonElement? Path(params string[] path)
    {
        JsonElement e = Object;
        foreach (string p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e))
            {
                return null;
            }
        }

        return e;
    }

    public override string ToString() => $"{Kind}/{Name}";
}
