using System.Diagnostics;

namespace EmailPipeline.Testing;

/// <summary>Runs a real client program (swaks, python3) and returns what it printed.</summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string All => Output + Error;
    }

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Always a pipe of its own: see ChildProcess.
            RedirectStandardInput = true,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();

        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish:\n{await stdout}\n{await stderr}");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The DATA swaks sent, rebuilt from its transcript (" -> " / " ~> " lines between 354 and "."),
    /// dot-unstuffed: what the server must have stored.</summary>
    public static byte[] DataFromSwaksTranscript(string transcript)
    {
        var lines = transcript.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int start = lines.FindIndex(l => l.StartsWith("<-  354", StringComparison.Ordinal) || l.StartsWith("<~  354", StringComparison.Ordinal));
        Assert.True(start >= 0, "no 354 in swaks transcript");
        var sb = new System.Text.StringBuilder();
        for (int i = start + 1; i < lines.Count; i++)
        {
            string l = lines[i];
            if (!(l.StartsWith(" -> ", StringComparison.Ordinal) || l.StartsWith(" ~> ", StringComparison.Ordinal)))
            {
                continue;
            }

            string text = l[4..];
            if (text == ".")
            {
                break;
            }

            sb.Append(text.StartsWith('.') ? text[1..] : text).Append("\r\n");
        }

        return System.Text.Encoding.UTF8.GetBytes(sb.ToString());
    }
}
