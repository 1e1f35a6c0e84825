namespace EmailPipeline.Queue.Dsn;

/// <summary>Which event a DSN reports (RFC 3464 Action: failed, delayed, delivered).</summary>
public enum DsnKind
{
    Failure,
    Delay,
    Success,
}
