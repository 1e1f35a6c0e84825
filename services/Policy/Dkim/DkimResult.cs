namespace EmailPipeline.Policy.Dkim;

/// <summary>The result of one DKIM-Signature (RFC 8601 §2.7.1). TempError defers; it never rejects.</summary>
public enum DkimResult
{
    /// <summary>The message carries no signature.</summary>
    None,
    Pass,

    /// <summary>The signature did not verify: a changed header or body, a key too short, a revoked key.</summary>
    Fail,

    /// <summary>The signature verified but local policy does not accept it (rsa-sha1, unsigned content past l=).</summary>
    Policy,
    Neutral,
    TempError,
    PermError,
}

public static class DkimResultExtensions
{
    public static string ToToken(this DkimResult result) => result switch
    {
        DkimResult.None => "none",
        DkimResult.Pass => "pass",
        DkimResult.Fail => "fail",
        DkimResult.Policy => "policy",
        DkimResult.Neutral => "neutral",
        DkimResult.TempError => "temperror",
        DkimResult.PermError => "permerror",
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, null),
    };
}
