using EmailPipeline.Cli;

namespace EmailPipeline.Queue.Tests.Infrastructure;

/// <summary>Runs the operator's command line in-process and keeps what it printed.</summary>
internal static class CliRunner
{
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await CliApplication.RunAsync(args, output, error, TestContext.Current.CancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }
}

/// <summary>What one command-line run printed and returned.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error);
