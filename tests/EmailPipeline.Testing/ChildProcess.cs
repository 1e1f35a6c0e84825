using System.Diagnostics;

namespace EmailPipeline.Testing;

/// <summary>
/// Starts a process for a test with a standard input of its own, closed at once. A test process's standard input
/// carries xunit v3's acknowledgements from the runner (each output line waits for one); a child that inherited it
/// could read an acknowledgement meant for the test — rabbitmqctl's Erlang VM does — and the test's next output then
/// waits for one that never comes: the suite hangs.
/// </summary>
public static class ChildProcess
{
    public static Process Start(ProcessStartInfo startInfo)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        startInfo.RedirectStandardInput = true;
        startInfo.UseShellExecute = false;
        Process process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {startInfo.FileName}");
        process.StandardInput.Close();
        return process;
    }
}
