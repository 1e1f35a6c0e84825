namespace EmailPipeline.Policy.Arc;

/// <summary>The arc= result (RFC 8617 §4.4): the chain validation status of the message as received.</summary>
public enum ArcResult
{
    None,
    Pass,
    Fail,
}

public static class ArcResultExtensions
{
    public static string ToToken(this ArcResult result) => result switch
    {
        ArcResult.None => "none",
        ArcResult.Pass => "pass",
        ArcResult.Fail => "fail",
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, null),
    };
}
