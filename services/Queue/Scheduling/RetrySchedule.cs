namespace EmailPipeline.Queue.Scheduling;

/// <summary>The backoff between attempts: entry n-1 after the n-th deferral; the last entry repeats.</summary>
public sealed class RetrySchedule(IReadOnlyList<TimeSpan> waits)
{
    public TimeSpan After(int attemptNumber)
    {
        int index = Math.Clamp(attemptNumber - 1, 0, waits.Count - 1);
        return waits[index];
    }
}
