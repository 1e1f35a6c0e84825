namespace EmailPipeline.Policy.Dmarc;

/// <summary>The dmarc= result of RFC 7489 §11.2. TempError defers; it never rejects.</summary>
public enum DmarcResult
{
    None,
    Pass,
    Fail,
    TempError,
    PermError,
}

public static class DmarcResultExtensions
{
    public static string ToToken(this DmarcResult result) => result switch
    {
        DmarcResult.None => "none",
        DmarcResult.Pass => "pass",
        DmarcResult.Fail => "fail",
        DmarcResult.TempError => "temperror",
        DmarcResult.PermError => "permerror",
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, null),
    };
}
