using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Queue.Configuration;

/// <summary>When and how often deferred mail is retried, when it gives up, and who signs DSNs. Bound from "Queue".</summary>
public sealed class QueueOptions : IValidatableObject
{
    public const string Section = "Queue";

    /// <summary>Wait before attempt n+1 after attempt n was deferred; the last entry repeats.</summary>
    public List<TimeSpan> RetrySchedule { get; set; } = [];

    /// <summary>The delay queues ("queue-delay-&lt;seconds&gt;s"). A wait is made of these steps, largest first;
    /// the smallest step is the precision of the schedule.</summary>
    public List<TimeSpan> DelaySteps { get; set; } = [];

    /// <summary>Deferred recipients older than this expire and get a failure DSN (Postfix's maximal_queue_lifetime).</summary>
    public TimeSpan MaxQueueLifetime { get; set; } = TimeSpan.FromDays(5);

    /// <summary>A delay DSN goes out once a recipient asking for NOTIFY=DELAY has waited this long.</summary>
    public TimeSpan DelayDsnAfter { get; set; } = TimeSpan.FromHours(4);

    /// <summary>How long past its last expected event a recipient's delivery work counts as lost: a Deferred recipient
    /// whose retry has not surfaced by its due time plus the longest delay step plus this, or a Queued one this long
    /// past the message's lifetime, is expired with a DSN by the sweeper.</summary>
    public TimeSpan StrandedAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the sweeper looks for stranded recipients and outbox leftovers.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Reporting-MTA in DSNs and the host part of MAILER-DAEMON.</summary>
    [Required]
    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>The most of the original message returned in a failure DSN (RET=FULL); beyond it, headers only.</summary>
    [Range(0, 100L * 1024 * 1024)]
    public long MaxReturnedSize { get; set; } = 10L * 1024 * 1024;

    public IReadOnlyList<TimeSpan> EffectiveRetrySchedule =>
        RetrySchedule.Count > 0 ? RetrySchedule : DefaultRetrySchedule;

    public IReadOnlyList<TimeSpan> EffectiveDelaySteps =>
        (DelaySteps.Count > 0 ? DelaySteps : DefaultDelaySteps).Distinct().Order().ToArray();

    public static IReadOnlyList<TimeSpan> DefaultRetrySchedule { get; } =
        [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2)];

    public static IReadOnlyList<TimeSpan> DefaultDelaySteps { get; } =
        [TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2)];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetrySchedule.Any(t => t <= TimeSpan.Zero))
        {
            yield return new ValidationResult("Queue:RetrySchedule entries must be positive durations like 00:05:00.", [nameof(RetrySchedule)]);
        }

        if (DelaySteps.Any(t => t < TimeSpan.FromSeconds(1) || t > TimeSpan.FromDays(1)))
        {
            yield return new ValidationResult("Queue:DelaySteps entries must be between 00:00:01 and 1.00:00:00.", [nameof(DelaySteps)]);
        }

        if (StrandedAfter <= TimeSpan.Zero || SweepInterval < TimeSpan.FromMilliseconds(100))
        {
            yield return new ValidationResult("Queue:StrandedAfter must be positive and Queue:SweepInterval at least 00:00:00.1.", [nameof(StrandedAfter)]);
        }

        if (MaxQueueLifetime <= TimeSpan.Zero || DelayDsnAfter <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Queue:MaxQueueLifetime and Queue:DelayDsnAfter must be positive.", [nameof(MaxQueueLifetime)]);
        }
    }
}
