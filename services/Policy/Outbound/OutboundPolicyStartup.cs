namespace EmailPipeline.Policy.Outbound;

/// <summary>Loads the signing keys and opens the sending counter when the service starts, so the log shows which
/// keys are in use before the first message arrives and the first message does not pay for it.</summary>
internal sealed class OutboundPolicyStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<DkimKeyRing>();
        _ = services.GetRequiredService<ISendingCounter>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
