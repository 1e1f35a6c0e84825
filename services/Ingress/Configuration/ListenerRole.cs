namespace EmailPipeline.Ingress.Configuration;

/// <summary>What a listener is for; it decides TLS, AUTH and relay rules.</summary>
public enum ListenerRole
{
    /// <summary>Port 25: mail from other MTAs. No AUTH; recipients only in local or relay domains.</summary>
    Mx,

    /// <summary>Port 587 (RFC 6409): STARTTLS, then AUTH before MAIL.</summary>
    Submission,

    /// <summary>Port 465 (RFC 8314): implicit TLS, then AUTH before MAIL.</summary>
    Submissions,
}
