using System.Diagnostics;

namespace EmailPipeline.Testing;

/// <summary>Ending a helper process (a peer server, a tool) without letting the test run hang on it.</summary>
public static class ProcessTree
{
    /// <summary>How long a wait for a killed process lasts: it and its output pipes end in milliseconds.</summary>
    public static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(30);

    /// <summary>
    /// SIGKILL to the process and its descendants (when it still runs), then a bounded wait for its exit and for
    /// the end of its redirected output (<see cref="Process.WaitForExitAsync(CancellationToken)"/> waits for both;
    /// <see cref="Process.WaitForExit(TimeSpan)"/> does not wait for the streams). false: still not over after
    /// <paramref name="bound"/> (default <see cref="ExitBound"/>); whatever holds on is left to the OS.
    /// </summary>
    public static async Task<bool> KillAsync(Process process, TimeSpan? bound = null)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        using var cts = new CancellationTokenSource(bound ?? ExitBound);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
