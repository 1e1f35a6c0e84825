namespace EmailPipeline.Policy.Dmarc;

/// <summary>p= / sp= of RFC 7489 §6.3, and the disposition a message gets.</summary>
public enum DmarcPolicy
{
    None,
    Quarantine,
    Reject,
}

public static class DmarcPolicyExtensions
{
    public static string ToToken(this DmarcPolicy policy) => policy switch
    {
        DmarcPolicy.None => "none",
        DmarcPolicy.Quarantine => "quarantine",
        DmarcPolicy.Reject => "reject",
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, null),
    };

    /// <summary>§6.6.4: a message outside pct= gets the next less strict policy.</summary>
    public static DmarcPolicy Relaxed(this DmarcPolicy policy) => policy switch
    {
        DmarcPolicy.Reject => DmarcPolicy.Quarantine,
        _ => DmarcPolicy.None,
    };

    public static bool TryParse(string? value, out DmarcPolicy policy)
    {
        policy = DmarcPolicy.None;
        switch (value?.ToLowerInvariant())
        {
            case "none":
                return true;
            case "quarantine":
                policy = DmarcPolicy.Quarantine;
                return true;
            case "reject":
                policy = DmarcPolicy.Reject;
                return true;
            default:
                return false;
        }
    }
}
