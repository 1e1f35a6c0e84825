using System.Diagnostics;
using System.Text;

namespace EmailPipeline.Testing;

/// <summary>One of our services running as its own process, configured through environment variables,
/// as run.sh and Kubernetes run it. Its output is kept for the test's failure message.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

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

    public static ServiceProcess Start(string part, IDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // A directory of its own: the service's appsettings.json (with its default listeners) stays out
            // of the test's way, and only the environment below configures it.
            WorkingDirectory = Directory.CreateTempSubdirectory("emailpipeline-").FullName,
        };
        psi.ArgumentList.Add(RepositoryPaths.ServiceDll(part));
        psi.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        return new ServiceProcess(ChildProcess.Start(psi));
    }

    /// <summary>Starts a process the caller described completely (program, directory, environment); its output
    /// is redirected and kept like <see cref="Start(string, IDictionary{string, string})"/>'s.</summary>
    public static ServiceProcess Start(ProcessStartInfo startInfo)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        return new ServiceProcess(ChildProcess.Start(startInfo));
    }

    /// <summary>Polls an HTTP health endpoint until it answers 200.</summary>
    public async Task WaitHealthyAsync(string url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
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

        throw new TimeoutException($"{url} not healthy after {timeout}:\n{Output}");
    }

    /// <summary>SIGTERM, as Kubernetes and Ctrl-C stop a service.</summary>
    public void Terminate()
    {
        using var kill = ChildProcess.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]));
        // kill(1) returns at once; the bound only keeps a wedged one from hanging the test (no output is redirected,
        // so WaitForExit(TimeSpan) has no streams to wait for).
        if (!kill.WaitForExit(ProcessTree.ExitBound))
        {
            kill.Kill();
            throw new TimeoutException($"kill -TERM {_process.Id} did not return within {ProcessTree.ExitBound}");
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL: the process gets no chance to finish anything.</summary>
    public async Task KillHardAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            if (!await WaitForExitAsync(ProcessTree.ExitBound))
            {
                // A child still holds the output pipes (WaitForExitAsync waits for their end too): end the tree.
                _process.Kill(entireProcessTree: true);
                if (!await WaitForExitAsync(ProcessTree.ExitBound))
                {
                    throw new TimeoutException($"process {_process.Id} still running {ProcessTree.ExitBound} after SIGKILL of its tree");
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Bounded and never throwing: whatever still holds the output pipes after that is left to the OS rather than
        // hanging the test run.
        if (!_process.HasExited)
        {
            await ProcessTree.KillAsync(_process);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 2_000_000)
            {
                _output.AppendLine(line);
            }
        }
    }
}
