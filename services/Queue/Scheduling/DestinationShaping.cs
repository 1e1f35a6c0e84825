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
    /// <summary>
    /// For a limited destination, the exclusive right to decide on it (see <see cref="IQueueStore.LockDestinationAsync"/>);
    /// the holder checks <see cref="MustWaitAsync"/>, dispatches and records the dispatch before disposing it.
    /// Null for an unlimited destination: nothing to decide, so no one waits.
    /// </summary>
    public async Task<IAsyncDisposable?> EnterAsync(string domain, CancellationToken cancellationToken)
    {
        DestinationLimits limits = options.Value.For(domain);
        return limits.MaxConcurrent > 0 || limits.MaxPerMinute > 0
            ? await store.LockDestinationAsync(domain, cancellationToken).ConfigureAwait(false)
            : null;
    }

    public async Task<bool> MustWaitAsync(string domain, string messageId, CancellationToken cancellationToken)
    {
        DestinationLimits limits = options.Value.For(domain);
        if (limits.MaxConcurrent <= 0 && limits.MaxPerMinute <= 0)
        {
            return false;
        }

        int inFlight = await store.CountInFlightAsync(domain, messageId, cancellationToken).ConfigureAwait(false);
        if (limits.MaxConcurrent > 0 && inFlight >= limits.MaxConcurrent)
        {
            return true;
        }

        // Attempts are recorded when their outcome comes back: the ones still in flight started within the
        // minute too, and a burst of due retries must not slip through before the first outcomes arrive.
        return limits.MaxPerMinute > 0
               && await store.CountAttemptsSinceAsync(domain, time.GetUtcNow().AddMinutes(-1), cancellationToken).ConfigureAwait(false) + inFlight >= limits.MaxPerMinute;
    }
}
