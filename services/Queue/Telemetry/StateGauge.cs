using EmailPipeline.Queue.State;

namespace EmailPipeline.Queue.Telemetry;

/// <summary>Refreshes the recipients-by-state gauge from the store every few seconds (cheap, indexed counts).</summary>
internal sealed class StateGauge(IQueueStore store, QueueMetrics metrics) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        do
        {
            try
            {
                metrics.UpdateStates(await store.CountByStateAsync(stoppingToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.Data.Common.DbException or TimeoutException)
            {
                // The gauge keeps its last values; the consumers report database trouble themselves.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
