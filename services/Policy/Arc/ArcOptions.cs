namespace EmailPipeline.Policy.Arc;

/// <summary>Policy:Arc.</summary>
public sealed class ArcOptions
{
    public const string Section = "Policy:Arc";

    /// <summary>
    /// Sealer domains (ARC-Seal d=) whose passing chain overrides a DMARC fail: forwarders and mailing lists that the
    /// operator trusts to have checked the original authentication. Empty (the default): ARC is reported, never obeyed.
    /// </summary>
    public IList<string> TrustedSealers { get; } = [];
}
