namespace EmailPipeline.Policy.Outbound;

/// <summary>
/// Counts sent messages against quotas. All or nothing: a message is counted in every quota only when none of
/// them is full, so a message refused by its domain's limit does not use up its user's. Concurrent calls never
/// admit more than a quota's limit within one window.
/// </summary>
internal interface ISendingCounter
{
    Task<SendingAdmission> AdmitAsync(IReadOnlyList<SendingQuota> quotas, DateTimeOffset now, CancellationToken ct);
}
