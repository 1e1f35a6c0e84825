using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Policy.Dkim;

/// <summary>Policy:Dkim — the verifier's limits.</summary>
public sealed class DkimOptions
{
    public const string Section = "Policy:Dkim";

    /// <summary>RSA keys shorter than this fail (RFC 8301 §3.2: at least 1024).</summary>
    [Range(1024, 16384)]
    public int MinimumRsaKeyBits { get; set; } = 1024;

    /// <summary>Signatures verified per message; more are reported as permerror without any DNS query.</summary>
    [Range(1, 50)]
    public int MaximumSignatures { get; set; } = 10;
}
