using EmailPipeline.Queue.Configuration;
using EmailPipeline.Queue.State;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Queue.Scheduling;

/// <summary>
/// Per-destination concurrency and rate limits. The counts come from the shared store, so the limits hold
/// across every Delivery worker and every Queue replica; a delivery over a limit waits one delay step.
/// </summary>
internal sealed class DestinationShaping(IQueueStore store, IOptions<ShapingOptions> options, TimeProvider time)
{
    public async Task<bool> MustWaitAsync(string domain, string messageId, CancellationToken cancellationToken)
    {
        DestinationLimits limits = options.Value.For(domain);
        if (limits.MaxConcurrent > 0 && await store.CountInFlightAsync(domain, messageId, cancellationToken).ConfigureAwait(false) >= limits.MaxConcurrent)
        {
            return true;
        }

        return limits.MaxPerMinute > 0
               && await store.CountAttemptsSinceAsync(domain, time.GetUtcNow().AddMinutes(-1), cancellationToken).ConfigureAwait(false) >= limits.MaxPerMinute;
    }
}
