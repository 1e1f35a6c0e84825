using System.Diagnostics;

namespace EmailPipeline.Testing;

/// <summary>A virtual host of its own on the real RabbitMQ node that ./test.sh started, so tests never see
/// each other's messages; <see cref="Rabbitmqctl"/> also stops and starts the node for outage tests.</summary>
public sealed class RabbitVirtualHost : IAsyncDisposable
{
    private RabbitVirtualHost(string name) => Name = name;

    public string Name { get; }

    public string Url => $"amqp://guest:guest@127.0.0.1:{BrokerPort}/{Uri.EscapeDataString(Name)}";

    /// <summary>5672, or EMAILPIPELINE_TEST_RABBITMQ_PORT: a second node (RABBITMQ_NODENAME for rabbitmqctl too)
    /// lets one run outage tests without stopping the node other test runs on this machine share.</summary>
    public static int BrokerPort =>
        int.TryParse(Environment.GetEnvironmentVariable("EMAILPIPELINE_TEST_RABBITMQ_PORT"), out int port) ? port : 5672;

    public static async Task<RabbitVirtualHost> CreateAsync(string prefix)
    {
        string name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)];
        await Rabbitmqctl("add_vhost", name);
        await Rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        return new RabbitVirtualHost(name);
    }

    /// <summary>Message count of a queue in this vhost (rabbitmqctl's figure, which lags a second for quorum queues).</summary>
    public async Task<long> CountAsync(string queue)
    {
        string listing = await Rabbitmqctl("list_queues", "-p", Name, "name", "messages");
        foreach (string line in listing.Split('\n'))
        {
            string[] parts = line.Split('\t');
            if (parts.Length == 2 && parts[0] == queue && long.TryParse(parts[1], out long n))
            {
                return n;
            }
        }

        return 0;
    }

    public static async Task<string> Rabbitmqctl(params string[] args)
    {
        var psi = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-q");
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = ChildProcess.Start(psi);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed: {await stderr}");
        }

        return await stdout;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Rabbitmqctl("delete_vhost", Name);
        }
        catch (InvalidOperationException)
        {
            // The node may be down after an outage test; the vhost is then left behind.
        }
    }
}
