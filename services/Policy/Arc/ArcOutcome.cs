namespace EmailPipeline.Policy.Arc;

/// <summary>
/// The chain's status, how many ARC sets it has, and the d= of the newest ARC-Seal: the last forwarder, whose word
/// <see cref="ArcOptions.TrustedSealers"/> decides to honour or not.
/// </summary>
public sealed record ArcOutcome(ArcResult Result, int Instances = 0, string? LastSealer = null, string? Reason = null)
{
    public static ArcOutcome None { get; } = new(ArcResult.None);
}
