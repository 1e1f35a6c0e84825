namespace EmailPipeline.Ingress.Configuration;

/// <summary>Whether and how the ingress asks the Policy service. Bound from "Ingress:Policy".</summary>
public sealed class PolicyOptions
{
    /// <summary>Off: accept without asking (no Authentication-Results). On: ask and obey the verdict.</summary>
    public PolicyMode Mode { get; set; } = PolicyMode.Off;

    /// <summary>How long to wait for a verdict before the failure mode applies.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Closed: answer 451 4.7.0 when no verdict came. Open: accept without Authentication-Results.</summary>
    public PolicyFailureMode FailureMode { get; set; } = PolicyFailureMode.Closed;

    /// <summary>
    /// The authserv-id of our Authentication-Results (the Policy service's Policy:AuthServId); default Ingress:HostName.
    /// Any field claiming it in arriving mail is forged and removed — always, with the policy off or failing open too
    /// (RFC 8601 §5), so that nothing after us trusts a verdict we never gave.
    /// </summary>
    public string? AuthServId { get; set; }
}

public enum PolicyMode
{
    Off,
    On,
}

public enum PolicyFailureMode
{
    Closed,
    Open,
}
