namespace EmailPipeline.Policy.Spf;

/// <summary>The results of check_host() (RFC 7208 §2.6). TempError defers; it never rejects.</summary>
public enum SpfResult
{
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

public static class SpfResultExtensions
{
    /// <summary>The RFC 8601 / RFC 7208 §9.1 token: "pass", "softfail", "temperror", ...</summary>
    public static string ToToken(this SpfResult result) => result switch
    {
        SpfResult.None => "none",
        SpfResult.Neutral => "neutral",
        SpfResult.Pass => "pass",
        SpfResult.Fail => "fail",
        SpfResult.SoftFail => "softfail",
        SpfResult.TempError => "temperror",
        SpfResult.PermError => "permerror",
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, null),
    };
}
