using System.Diagnostics;

namespace EmailPipeline.Queue.Tests.Infrastructure;

/// <summary>A RabbitMQ virtual host of the test's own on the local node (started by ./test.sh), deleted afterwards.</summary>
public sealed class TestVirtualHost : IAsyncLifetime
{
    public string Name { get; } = "queue-cli-" + Guid.NewGuid().ToString("N")[..12];

    public string Url => $"amqp://guest:guest@127.0.0.1:5672/{Uri.EscapeDataString(Name)}";

    public async ValueTask InitializeAsync()
    {
        await RabbitmqctlAsync("add_vhost", Name);
        await RabbitmqctlAsync("set_permissions", "-p", Name, "guest", ".*", ".*", ".*");
    }

    public async ValueTask DisposeAsync() => await RabbitmqctlAsync("delete_vhost", Name);

    private static async Task RabbitmqctlAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-q");
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(cts.Token);
        await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed: {await stderr}");
        }
    }
}
