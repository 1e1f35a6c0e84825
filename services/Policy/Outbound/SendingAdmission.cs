namespace EmailPipeline.Policy.Outbound;

public enum SendingAdmissionOutcome
{
    Admitted = 0,
    Exceeded = 1,
    /// <summary>The shared counter could not be asked; nothing was counted.</summary>
    Unavailable = 2,
}

/// <summary>The answer of a counter: admitted (and counted), or which quota is full and until when.</summary>
internal sealed record SendingAdmission(SendingAdmissionOutcome Outcome, SendingQuota? Exceeded, TimeSpan RetryAfter, string? Problem)
{
    public static SendingAdmission Admitted { get; } = new(SendingAdmissionOutcome.Admitted, null, TimeSpan.Zero, null);

    public static SendingAdmission Full(SendingQuota quota, TimeSpan retryAfter) => new(SendingAdmissionOutcome.Exceeded, quota, retryAfter, null);

    public static SendingAdmission Unavailable(string problem) => new(SendingAdmissionOutcome.Unavailable, null, TimeSpan.Zero, problem);
}
