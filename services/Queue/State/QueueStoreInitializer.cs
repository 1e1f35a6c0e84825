using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmailPipeline.Queue.State;

/// <summary>Creates the schema at start-up so a broken store stops the service before it takes any message.</summary>
public sealed partial class QueueStoreInitializer(IQueueStore store, ILogger<QueueStoreInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        StoreReady(logger, store.GetType().Name);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(3001, LogLevel.Information, "Queue store ready ({Store})")]
    private static partial void StoreReady(ILogger logger, string store);
}
