using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EmailPipeline.Observability.Tests.Support;

/// <summary>One scrape target for the generated configuration.</summary>
public sealed record ScrapeJob(string Name, string Target, string MetricsPath = "/metrics", IReadOnlyDictionary<string, string>? Params = null);

/// <summary>
/// A real Prometheus (Debian's binary) on a free loopback port with a configuration generated for the test:
/// it scrapes the given targets every second and loads the repository's alert rules. Queried over its HTTP API.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http;
    private readonly string _directory;

    private PrometheusServer(Process process, int port, string directory)
    {
        _process = process;
        _directory = directory;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"), Timeout = TimeSpan.FromSeconds(10) };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string ConfigPath => Path.Combine(_directory, "prometheus.yml");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>prometheus.yml for these jobs, scraping every second, with the given rule files.</summary>
    public static string Configuration(IEnumerable<ScrapeJob> jobs, IEnumerable<string> ruleFiles)
    {
        var yaml = new StringBuilder();
        yaml.Append("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n");
        yaml.Append("rule_files:\n");
        foreach (string rules in ruleFiles)
        {
            yaml.Append("  - ").Append(JsonSerializer.Serialize(rules)).Append('\n');
        }

        yaml.Append("scrape_configs:\n");
        foreach (ScrapeJob job in jobs)
        {
            yaml.Append("  - job_name: ").Append(JsonSerializer.Serialize(job.Name)).Append('\n');
            yaml.Append("    metrics_path: ").Append(JsonSerializer.Serialize(job.MetricsPath)).Append('\n');
            if (job.Params is { Count: > 0 })
            {
                yaml.Append("    params:\n");
                foreach (var (k, v) in job.Params)
                {
                    yaml.Append("      ").Append(k).Append(": [").Append(JsonSerializer.Serialize(v)).Append("]\n");
                }
            }

            yaml.Append("    static_configs:\n      - targets: [").Append(JsonSerializer.Serialize(job.Target)).Append("]\n");
        }

        return yaml.ToString();
    }

    public static async Task<PrometheusServer> StartAsync(string configuration)
    {
        string directory = Directory.CreateTempSubdirectory("emailpipeline-prometheus-").FullName;
        string config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, configuration);
        int port = FreePorts.Take(1)[0];
        var psi = new ProcessStartInfo(Tools.Prometheus)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (string arg in (string[])[
                     $"--config.file={config}",
                     $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
                     $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                     "--storage.tsdb.retention.time=1h",
                     "--log.level=warn"])
        {
            psi.ArgumentList.Add(arg);
        }

        var server = new PrometheusServer(ChildProcess.Start(psi), port, directory);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (server._process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {server._process.ExitCode}:\n{server.Output}");
            }

            try
            {
                using HttpResponseMessage ready = await server._http.GetAsync("-/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        await server.DisposeAsync();
        throw new TimeoutException("prometheus not ready in 30 s:\n" + server.Output);
    }

    /// <summary>An instant query; returns the API's "data" (status must be success).</summary>
    public async Task<JsonElement> QueryAsync(string promql)
    {
        using JsonDocument doc = await GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
        return doc.RootElement.GetProperty("data").Clone();
    }

    /// <summary>The series of an instant query's vector result (empty: no data).</summary>
    public async Task<IReadOnlyList<(Dictionary<string, string> Labels, string Value)>> VectorAsync(string promql)
    {
        JsonElement data = await QueryAsync(promql);
        if (data.GetProperty("resultType").GetString() == "scalar")
        {
            return [(new Dictionary<string, string>(), data.GetProperty("result")[1].GetString() ?? "")];
        }

        return data.GetProperty("result").EnumerateArray()
            .Select(s => (s.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
                s.GetProperty("value")[1].GetString() ?? ""))
            .ToList();
    }

    public async Task<JsonDocument> GetAsync(string pathAndQuery)
    {
        using HttpResponseMessage response = await _http.GetAsync(pathAndQuery);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {pathAndQuery}: {(int)response.StatusCode} {body}");
        JsonDocument doc = JsonDocument.Parse(body);
        Assert.Equal("success", doc.RootElement.GetProperty("status").GetString());
        return doc;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        // Bounded: a prometheus that outlives SIGKILL (or a child holding its output) must not hang the run.
        await ProcessTree.KillAsync(_process);

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 500_000)
            {
                _output.AppendLine(line);
            }
        }
    }
}
