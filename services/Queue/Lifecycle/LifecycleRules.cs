namespace EmailPipeline.Queue.Lifecycle;

/// <summary>
/// Everything besides the records and the input that a decision depends on: the time, the options, the shaping
/// verdicts (looked up under the destination locks before deciding) and where new work ids come from.
/// </summary>
/// <param name="Now">The time of the decision.</param>
/// <param name="MaxQueueLifetime">Deferred recipients older than this expire.</param>
/// <param name="DelayDsnAfter">A delay DSN (NOTIFY=DELAY) goes out once a recipient has waited this long.</param>
/// <param name="RetryWaits">Wait before attempt n+1 after attempt n was deferred; the last entry repeats.</param>
/// <param name="DelaySteps">The delay queues' fixed waits, ascending.</param>
/// <param name="StrandedAfter">How long past its last expected event a recipient's work counts as lost (the sweeper).</param>
/// <param name="MustWait">Destinations over their shaping limits right now: their dispatches wait one delay step.</param>
/// <param name="NewWorkId">A fresh, unique work id (the AttemptId of the next attempt).</param>
public sealed record LifecycleRules(
    DateTimeOffset Now,
    TimeSpan MaxQueueLifetime,
    TimeSpan DelayDsnAfter,
    IReadOnlyList<TimeSpan> RetryWaits,
    IReadOnlyList<TimeSpan> DelaySteps,
    TimeSpan StrandedAfter,
    IReadOnlySet<string> MustWait,
    Func<string> NewWorkId)
{
    /// <summary>The smallest delay step: a retry that surfaces earlier than half of it before its due time is on time.</summary>
    public TimeSpan Precision => DelaySteps[0];

    public TimeSpan LongestStep => DelaySteps[^1];

    public TimeSpan RetryWaitAfter(int attemptNumber) => RetryWaits[Math.Clamp(attemptNumber - 1, 0, RetryWaits.Count - 1)];

    /// <summary>The largest step that does not overshoot <paramref name="remaining"/> (the smallest when less is left).</summary>
    public TimeSpan NextHop(TimeSpan remaining)
    {
        TimeSpan hop = DelaySteps[0];
        foreach (TimeSpan step in DelaySteps)
        {
            if (step <= remaining)
            {
                hop = step;
            }
        }

        return hop;
    }
}
