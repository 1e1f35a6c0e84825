namespace EmailPipeline.Policy.Dkim;

/// <summary>
/// The key record found for one selector, or why there is none: <see cref="DkimResult.TempError"/> when DNS failed,
/// <see cref="DkimResult.PermError"/> when there is no record or it is malformed (RFC 6376 §6.1.2).
/// </summary>
public sealed record DkimKeyLookup(DkimKeyRecord? Record, DkimResult Failure, string? Reason)
{
    public static DkimKeyLookup Found(DkimKeyRecord record) => new(record, DkimResult.None, null);

    public static DkimKeyLookup Failed(DkimResult failure, string reason) => new(null, failure, reason);
}
