namespace EmailPipeline.Policy.Spf;

/// <summary>The mechanisms of RFC 7208 §5.</summary>
public enum SpfMechanism
{
    All,
    Include,
    A,
    Mx,
    Ptr,
    Ip4,
    Ip6,
    Exists,
}
