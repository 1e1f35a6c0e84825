using System.ComponentModel.DataAnnotations;

namespace EmailPipeline.Policy.Spf;

/// <summary>Policy:Spf — the knobs RFC 7208 leaves to the verifier.</summary>
public sealed class SpfOptions
{
    public const string Section = "Policy:Spf";

    /// <summary>Explanation for a fail whose record has no usable exp= (a macro-string; expanded like exp= text).</summary>
    public string DefaultExplanation { get; set; } = "SPF fail for %{d}: %{i} is not authorized to send as %{s}";

    /// <summary>The %{r} macro: our own domain name (RFC 7208 §7.3 says "unknown" when there is none).</summary>
    public string ReceivingHost { get; set; } = "unknown";

    /// <summary>Terms that cause DNS lookups per check (§4.6.4: 10).</summary>
    [Range(1, 100)]
    public int LookupLimit { get; set; } = 10;

    /// <summary>Lookups answering NXDOMAIN or no records (§4.6.4: 2 recommended).</summary>
    [Range(0, 100)]
    public int VoidLookupLimit { get; set; } = 2;

    /// <summary>Wall-clock budget of one check (§4.6.4: at least 20 s); past it the result is temperror.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);
}
