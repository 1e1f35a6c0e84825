using EmailPipeline.Policy.Checks;
using EmailPipeline.Policy.Outbound;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;

namespace EmailPipeline.Policy.Tests.Outbound;

/// <summary>A host wired the way the Policy service wires it — configuration, <c>AddOutboundPolicy()</c>,
/// start-up validation — with the test's clock and a log capture.</summary>
internal sealed class OutboundHost : IAsyncDisposable
{
    private readonly IHost _host;

    private OutboundHost(IHost host, LogCapture logs)
    {
        _host = host;
        Logs = logs;
    }

    public LogCapture Logs { get; }

    public IOutboundPolicy Policy => _host.Services.GetRequiredService<IOutboundPolicy>();

    public IServiceProvider Services => _host.Services;

    /// <summary>Builds and starts the host; start-up validation throws here, as it would end the service.</summary>
    public static async Task<OutboundHost> StartAsync(IDictionary<string, string?> settings, TimeProvider? clock = null, Action<IServiceCollection>? before = null)
    {
        var logs = new LogCapture();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        before?.Invoke(builder.Services);
        builder.Services.AddOutboundPolicy();
        IHost host = builder.Build();
        try
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new OutboundHost(host, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        if (_host is IAsyncDisposable async)
        {
            await async.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }
    }
}
