using System.Runtime.InteropServices;

namespace EmailPipeline.Policy.Outbound;

/// <summary>
/// Counters in this process only: used when no <see cref="SendingLimitOptions.ConnectionString"/> is set. With
/// several replicas each holds its own counts, so the deployment as a whole admits up to replicas × limit.
/// One lock makes check-and-count atomic; the work inside it is a few dictionary lookups.
/// </summary>
internal sealed class MemorySendingCounter : ISendingCounter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Scope, int Window), Slot> _slots = [];
    private long _nextSweep;

    public int TrackedCounters
    {
        get
        {
            lock (_gate)
            {
                return _slots.Count;
            }
        }
    }

    public Task<SendingAdmission> AdmitAsync(IReadOnlyList<SendingQuota> quotas, DateTimeOffset now, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            Sweep(now);

            SendingQuota? full = null;
            TimeSpan retryAfter = TimeSpan.Zero;
            foreach (SendingQuota quota in quotas)
            {
                if (Current(quota, now) < quota.Limit)
                {
                    continue;
                }

                // Report the full quota that frees up last: retrying earlier would only be refused again.
                TimeSpan wait = quota.UntilReset(now);
                if (full is null || wait > retryAfter)
                {
                    full = quota;
                    retryAfter = wait;
                }
            }

            if (full is not null)
            {
                return Task.FromResult(SendingAdmission.Full(full, retryAfter));
            }

            foreach (SendingQuota quota in quotas)
            {
                int current = Current(quota, now);
                _slots[(quota.Scope, quota.WindowSeconds)] = new Slot(quota.WindowStart(now), current + 1);
            }

            return Task.FromResult(SendingAdmission.Admitted);
        }
    }

    private int Current(SendingQuota quota, DateTimeOffset now) =>
        _slots.TryGetValue((quota.Scope, quota.WindowSeconds), out Slot slot) && slot.Start == quota.WindowStart(now) ? slot.Count : 0;

    /// <summary>Once a minute, forget counters of windows that have ended, so idle users cost no memory.</summary>
    private void Sweep(DateTimeOffset now)
    {
        long seconds = now.ToUnixTimeSeconds();
        if (seconds < _nextSweep)
        {
            return;
        }

        _nextSweep = seconds + 60;
        foreach (var entry in _slots.Where(e => e.Value.Start + e.Key.Window <= seconds).Select(e => e.Key).ToList())
        {
            _slots.Remove(entry);
        }
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly record struct Slot(long Start, int Count);
}
