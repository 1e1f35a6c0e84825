namespace EmailPipeline.Smtp.Parsing;

/// <summary>RCPT NOTIFY= (RFC 3461 §4.1). <see cref="Never"/> never combines with the others.</summary>
[Flags]
public enum NotifyParameter
{
    NotGiven = 0,
    Never = 1,
    Success = 2,
    Failure = 4,
    Delay = 8,
}
