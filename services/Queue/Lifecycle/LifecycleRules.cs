using EmailPipeline.Queue.Scheduling;

namespace EmailPipeline.Queue.Lifecycle;

/// <summary>
/// Everything besides the records and the input that a decision depends on: the time, the options, the shaping
/// verdicts (looked up under the destination locks before deciding) and where new work ids come from.
/// </summary>
/// <param name="Now">The time of the decision.</param>
/// <param name="MaxQueueLifetime">Deferred recipients older than this expire.</param>
/// <param name="DelayDsnAfter">A delay DSN (NOTIFY=DELAY) goes out once a recipient has waited this long.</param>
/// <param name="Retries">The wait before attempt n+1 after attempt n was deferred.</param>
/// <param name="Ladder">The delay queues' fixed waits.</param>
/// <param name="StrandedAfter">How long past its last expected event a recipient's work counts as lost (the sweeper).</param>
/// <param name="MustWait">Destinations over their shaping limits right now: their dispatches wait one delay step.</param>
/// <param name="NewWorkId">A fresh, unique work id (the AttemptId of the next attempt).</param>
public sealed record LifecycleRules(
    DateTimeOffset Now,
    TimeSpan MaxQueueLifetime,
    TimeSpan DelayDsnAfter,
    RetrySchedule Retries,
    DelayLadder Ladder,
    TimeSpan StrandedAfter,
    IReadOnlySet<string> MustWait,
    Func<string> NewWorkId)
{
    public TimeSpan Precision => Ladder.Precision;

    public TimeSpan LongestStep => Ladder.Steps[^1];

    public TimeSpan RetryWaitAfter(int attemptNumber) => Retries.After(attemptNumber);

    public TimeSpan NextHop(TimeSpan remaining) => Ladder.NextHop(remaining);
}
