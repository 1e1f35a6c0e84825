namespace EmailPipeline.Policy.Dmarc;

/// <summary>
/// What DMARC concluded for a message. <see cref="PolicyDomain"/> is where the record was found (the From domain or
/// its organizational domain); <see cref="AppliedPolicy"/> is p= or sp= as it applies to the From domain, before pct=;
/// <see cref="Disposition"/> is what to do after pct= sampling. <see cref="AlignedDkimDomain"/> is the d= that passed
/// aligned, if any.
/// </summary>
public sealed record DmarcOutcome(
    DmarcResult Result,
    string? FromDomain,
    DmarcPolicy Disposition,
    string? PolicyDomain = null,
    DmarcRecord? Record = null,
    DmarcPolicy? AppliedPolicy = null,
    bool SpfAligned = false,
    string? AlignedDkimDomain = null,
    bool Sampled = true,
    string? Reason = null);
