using System.Globalization;
using EmailPipeline.Contracts;

namespace EmailPipeline.Queue.Scheduling;

/// <summary>
/// Turns a wait into hops through the fixed-TTL delay queues: each hop takes the largest step that does not
/// overshoot (or the smallest step when less is left). A message re-enters the retry-due queue after each hop
/// and is sent on its next hop until it is due, so a wait of any length needs only a handful of queues.
/// </summary>
public sealed class DelayLadder
{
    private readonly TimeSpan[] _steps;

    public DelayLadder(IReadOnlyList<TimeSpan> steps)
    {
        if (steps.Count == 0)
        {
            throw new ArgumentException("At least one delay step is needed.", nameof(steps));
        }

        _steps = steps.Order().ToArray();
    }

    public IReadOnlyList<TimeSpan> Steps => _steps;

    /// <summary>The smallest step: a retry that surfaces earlier than this before its due time is on time.</summary>
    public TimeSpan Precision => _steps[0];

    public TimeSpan NextHop(TimeSpan remaining)
    {
        TimeSpan hop = _steps[0];
        foreach (TimeSpan step in _steps)
        {
            if (step <= remaining)
            {
                hop = step;
            }
        }

        return hop;
    }

    public static string QueueName(TimeSpan step) =>
        PipelineQueues.DelayPrefix + ((long)step.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
}
