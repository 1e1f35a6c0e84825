using EmailPipeline.Contracts;

namespace EmailPipeline.Delivery.Consumers;

/// <summary>
/// How many requests a worker takes at once from each delivery lane, so that the bodies it holds fit its memory.
/// Every request taken (prefetched or being delivered) is in memory whole — as received (base64 in JSON, 4/3 of the
/// content), decoded, and again when an outcome carries it back — so one request costs about
/// <see cref="CopiesPerRequest"/> times its content. The small lane holds at most 1 MiB a request and takes
/// MaxConcurrentDeliveries; the large lane gets what the budget has left, in requests of the largest message size,
/// at least one (a large message must be deliverable) and never more than the small lane.
/// </summary>
public sealed record DeliveryLanes(int Small, int Large, long BudgetBytes, long WorstCaseBytes)
{
    /// <summary>Copies of a request's content alive at once in the worst case (received JSON 4/3, decoded 1,
    /// outcome JSON 4/3 and its buffer), rounded up.</summary>
    public const int CopiesPerRequest = 4;

    public static DeliveryLanes For(int maxConcurrentDeliveries, int configuredLarge, long maxMessageSize, long budgetBytes)
    {
        int small = Math.Max(1, maxConcurrentDeliveries);
        long perSmall = (long)PipelineQueues.LargeContentBytes * CopiesPerRequest;
        long perLarge = Math.Max(maxMessageSize, PipelineQueues.LargeContentBytes) * CopiesPerRequest;
        int large = configuredLarge > 0
            ? Math.Min(configuredLarge, small)
            : (int)Math.Clamp((budgetBytes - small * perSmall) / perLarge, 1, small);
        return new DeliveryLanes(small, large, budgetBytes, (small * perSmall) + (large * perLarge));
    }

    /// <summary>Half of what the GC may use (the container's memory limit, or the machine's): the rest is the
    /// runtime, connections, the journal and headroom.</summary>
    public static long DefaultBudget() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;
}

/// <summary>Says at start-up what the lanes were sized to, so an operator sees what the memory limit allows.</summary>
internal sealed class DeliveryLanesReport(DeliveryLanes lanes, ILogger<DeliveryLanesReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        const long MiB = 1024 * 1024;
        DeliveryLog.LanesSized(logger, lanes.Small, lanes.Large, lanes.WorstCaseBytes / MiB, lanes.BudgetBytes / MiB);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
